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
    meta = session.metadata
    metrics = meta.get("metrics", {})
    config = meta.get("config", {})
    rows = [
        ("File", str(session.path) if session.path else "not saved yet"),
        ("Preset", str(meta.get("preset", "unknown"))),
        ("Parameters", f"{session.model.count_params():,}"),
        ("Test accuracy", f"{metrics['test_accuracy']:.2%}" if metrics.get("test_accuracy") else "unknown"),
        ("Validation accuracy", f"{metrics['val_accuracy']:.2%}" if metrics.get("val_accuracy") else "unknown"),
        ("Epochs", f"{len(meta['history'])} (best {metrics.get('best_epoch', '?')})" if meta.get("history") else ""),
        ("Members", "\n".join(_member_line(m) for m in meta.get("members", []))),
        ("Training time", (f"{metrics['train_seconds']:.0f} s" + (" (members together)" if meta.get("members") else ""))
         if metrics.get("train_seconds") else "unknown"),
        # An ensemble's config is its first member's: the members' own lines say what they are.
        ("Recipe", "" if meta.get("members") else
         ", ".join(f"{k} {config[k]}" for k in ("batch_size", "learning_rate", "augment", "schedule") if k in config)
         or "unknown"),
        ("Trained", str(meta.get("trained_at", "unknown"))),
        ("Versions", ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()) or "unknown"),
    ]
    # Every value is text from the file (which may not be ours), so all of it is escaped, here, once.
    return "<table>" + "".join(f"<tr><td valign='top'><b>{k}</b>&nbsp;&nbsp;</td>"
                               f"<td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
                               for k, v in rows if v) + "</table>"


def _member_line(member: dict) -> str:
    """One ensemble member, as recorded when the ensemble was made: preset, seed, test accuracy, file."""
    accuracy = member.get("metrics", {}).get("test_accuracy")
    return (f"{member.get('preset', 'unknown')} seed {member.get('seed', '?')}"
            + (f", test {accuracy:.2%}" if accuracy else "") + f" ({member.get('file', '?')})")


def about_html() -> str:
    from PySide6 import __version__ as pyside_version

    from hwr_desktop import __version__
    import sys
    tf = sys.modules.get("tensorflow")
    keras = sys.modules.get("keras")
    return (f"<h3>HWR Desktop {__version__}</h3>"
            "<p>Draw digits and watch a convolutional neural network read them; train your own "
            "network on MNIST and see it learn.</p>"
            f"<p>Python {platform.python_version()} · PySide6 {pyside_version} · "
            f"TensorFlow {getattr(tf, '__version__', 'not loaded yet')} · Keras {getattr(keras, '__version__', 'not loaded yet')}</p>"
            f"<p>{DATASET_CREDIT}</p>")
