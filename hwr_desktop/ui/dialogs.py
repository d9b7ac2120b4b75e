"""Small dialogs: model information, About, and non-blocking error/info boxes."""
from __future__ import annotations

import html
import platform

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

DATASET_CREDIT = ("MNIST database of handwritten digits by Yann LeCun and Corinna Cortes "
                  "(with Christopher J.C. Burges), licensed CC BY-SA 3.0.")


def message_box(parent: QWidget, icon, title: str, text: str) -> QMessageBox:
    """Window-modal and non-blocking (open(), not exec()): the app keeps running behind it."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog" if icon == QMessageBox.Icon.Critical else "infoDialog")
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def model_info_html(session) -> str:
    if not session.ready:
        return "No model is loaded."
    info = session.info
    metrics, config, ensemble = info.metrics, info.config, info.is_ensemble
    rows = [
        ("File", str(session.path) if session.path else "not saved yet"),
        ("Preset", info.preset),
        ("Parameters", f"{session.model.count_params():,}"),
        ("Test accuracy", f"{metrics.test_accuracy:.2%}" if metrics.test_accuracy else "unknown"),
        ("Validation accuracy", f"{metrics.val_accuracy:.2%}" if metrics.val_accuracy else "unknown"),
        ("Epochs", f"{len(info.history)} (best {metrics.best_epoch or '?'})" if info.history else ""),
        ("Members", "\n".join(_member_line(m) for m in info.members)),
        ("Training time", (f"{metrics.train_seconds:.0f} s" + (" (members together)" if ensemble else ""))
         if metrics.train_seconds else "unknown"),
        # An ensemble's config is its first member's: the members' own lines say what they are.
        ("Recipe", "" if ensemble else
         ", ".join(f"{k} {config[k]}" for k in ("batch_size", "learning_rate", "augment", "schedule") if k in config)
         or "unknown"),
        ("Trained", str(info.trained_at or "unknown")),
        ("Versions", ", ".join(f"{k} {v}" for k, v in info.versions.items()) or "unknown"),
    ]
    # Every value is text from the file (which may not be ours), so all of it is escaped, here, once.
    return "<table>" + "".join(f"<tr><td valign='top'><b>{k}</b>&nbsp;&nbsp;</td>"
                               f"<td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
                               for k, v in rows if v) + "</table>"


def _member_line(member) -> str:
    """One ensemble member (core.models.info.MemberInfo), as recorded when the ensemble was made."""
    accuracy = member.metrics.test_accuracy
    return (f"{member.preset or 'unknown'} seed {'?' if member.seed is None else member.seed}"
            f"{f', test {accuracy:.2%}' if accuracy is not None else ''} ({member.file})")


def about_html() -> str:
    import sys

    from PySide6 import __version__ as pyside_version

    from hwr_desktop import __version__
    tf = sys.modules.get("tensorflow")
    keras = sys.modules.get("keras")
    return (f"<h3>HWR Desktop {__version__}</h3>"
            "<p>Draw digits and watch a convolutional neural network read them; train your own "
            "network on MNIST and see it learn.</p>"
            f"<p>Python {platform.python_version()} · PySide6 {pyside_version} · "
            f"TensorFlow {getattr(tf, '__version__', 'not loaded yet')} · "
            f"Keras {getattr(keras, '__version__', 'not loaded yet')}</p>"
            f"<p>{DATASET_CREDIT}</p>")
