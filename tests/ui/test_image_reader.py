"""Read Image tab: open / drop / paste an image, boxes and the number appear; bad files get a dialog."""
import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage

from tests.conftest import draw_digit_like


def number_image(mnist, indices, scale=3) -> np.ndarray:
    """Dark digits on white paper, side by side with gaps: a handwritten number."""
    parts = [draw_digit_like(mnist.x_test[i], scale=scale) for i in indices]
    return np.concatenate(parts, axis=1)


def wait_read(qtbot, window):
    qtbot.waitUntil(lambda: window.read_image_panel.result is not None and not window.read_image_panel.is_busy(),
                    timeout=30000)
    return window.read_image_panel.result


def test_open_image_shows_boxes_and_the_number(window, qtbot, mnist, tmp_path):
    indices = [0, 1, 2, 3]  # 7 2 1 0
    path = tmp_path / "number.png"
    Image.fromarray(number_image(mnist, indices)).save(path)
    assert window.open_image(path)
    assert window.tabs.current_page() is window.read_image_panel
    result = wait_read(qtbot, window)
    expected = "".join(str(mnist.y_test[i]) for i in indices)
    assert result.text == expected and window.read_image_panel.textLabel.text() == expected
    boxes = [d.box for d in result.digits]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)            # left to right
    width = Image.open(path).width
    assert all(0 <= x0 < x1 <= width for x0, _, x1, _ in boxes)
    shot = window.read_image_panel.view.grab().toImage()
    colors = {shot.pixelColor(x, y).name() for x in range(0, shot.width(), 3) for y in range(0, shot.height(), 3)}
    assert "#2a9d4b" in colors                                                 # boxes are painted


def test_drop_and_paste(window, qtbot, mnist, tmp_path):
    path = tmp_path / "dropped.png"
    Image.fromarray(number_image(mnist, [4, 5])).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert wait_read(qtbot, window).text == f"{mnist.y_test[4]}{mnist.y_test[5]}"

    window.read_image_panel.result = None
    rgb = np.stack([number_image(mnist, [6, 7, 8])] * 3, axis=-1).copy()
    QGuiApplication.clipboard().setImage(QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0],
                                                QImage.Format.Format_RGB888).copy())
    assert window.paste_image()
    # The pasted pixels arrive whole: three digits, each read right or flagged '?' (the line
    # reader is unsure of this thick 5, widely spaced; never a wrong digit shown as sure).
    text, truth = wait_read(qtbot, window).text, "".join(str(mnist.y_test[i]) for i in (6, 7, 8))
    assert len(text) == 3 and all(c in (t, "?") for c, t in zip(text, truth)) and text.count("?") <= 1
    assert window.read_image_panel.source_name == "pasted image"


def test_bad_image_file_shows_an_error_and_keeps_the_previous_reading(window, qtbot, mnist, tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(number_image(mnist, [0])).save(good)
    window.open_image(good)
    before = wait_read(qtbot, window)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert window.open_image(bad) is False
    assert "bad.png" in window.last_error_box.text()
    assert window.read_image_panel.result is before and window.read_image_panel.source_name == "good.png"


def test_threshold_setting_rejects_and_persists(window, qtbot, mnist, tmp_path):
    path = tmp_path / "one.png"
    Image.fromarray(number_image(mnist, [0])).save(path)
    window.open_image(path)
    assert wait_read(qtbot, window).digits[0].digit is not None
    window.read_image_panel.result = None
    window.read_image_panel.confidenceSpin.setValue(1.0)                    # nothing is that sure
    result = wait_read(qtbot, window)
    assert result.text == "?" and result.digits[0].digit is None
    assert float(window.settings.value("minConfidence")) == 1.0
