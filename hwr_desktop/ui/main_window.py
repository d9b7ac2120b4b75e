"""Main window: builds the panels and wires menus, toolbar, shortcuts, settings and workers."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from hwr_desktop.core.errors import HwrError
from hwr_desktop.resources import default_model_path, ensemble_model_path, resource_path
from hwr_desktop.ui import dialogs
from hwr_desktop.ui.panels.drawing_panel import DrawingPanel
from hwr_desktop.ui.session import ModelSession
from hwr_desktop.ui.settings import add_recent_model, open_settings, recent_models, remove_recent_model
from hwr_desktop.ui.panels.training_panel import TrainingPanel
from hwr_desktop.ui.run_policy import ExclusiveRuns

MODEL_FILTER = "Keras models (*.keras);;All files (*)"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, model_path: str | Path | None = None, load_in_background: bool = False):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("HWR Desktop")
        self.setAcceptDrops(True)  # drop an image file to read its digits
        icon = resource_path("icons", "app.png")
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.settings, settings_note = open_settings()
        self.session = ModelSession(self)
        self.last_error_box: QMessageBox | None = None

        self.draw_panel = DrawingPanel(self.session)
        self.runs = ExclusiveRuns(self)      # one training or fine-tuning run at a time
        self.training_panel = TrainingPanel(self.runs)
        self.tabs = QTabWidget(objectName="tabs")
        # The Training tab: training a new model, and below it fine-tuning (added in _create_personal_tabs).
        self.training_tab = QWidget(objectName="trainingTab")
        tab_layout = QVBoxLayout(self.training_tab)
        tab_layout.setContentsMargins(0, 0, 0, 0)            # the panels have their own margins
        tab_layout.addWidget(self.training_panel, 1)         # the plot takes what is left
        self.tabs.addTab(self.training_tab, "Training")
        self._create_extra_tabs()
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        splitter.addWidget(self.draw_panel)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 640])  # the right side has eight tabs: give it room for all titles
        self.setCentralWidget(splitter)

        self._create_actions()
        self._create_menus()
        self.training_panel.useModelRequested.connect(self.use_trained_model)
        self.training_panel.saveModelRequested.connect(self._save_trained_model)
        self.training_panel.errorOccurred.connect(self.show_error)
        self.training_panel.trainingStarted.connect(lambda: self._set_training_actions(True))
        self.training_panel.trainingEnded.connect(lambda: self._set_training_actions(False))
        self.session.modelChanged.connect(self._on_model_changed)
        self.session.errorOccurred.connect(self.show_error)
        self._restore_settings()
        self.statusBar().showMessage("Loading model…")
        if settings_note:
            self.show_error("Settings reset", settings_note)

        path = Path(model_path) if model_path else self._initial_model_path()
        if load_in_background:
            self.session.load_in_background(path)
        else:
            self._load_now(path)

    def _create_extra_tabs(self) -> None:
        """Panels beyond training (evaluation and insight views), each built from the shared session."""
        from hwr_desktop.ui.panels.dataset_panel import DatasetPanel
        from hwr_desktop.ui.panels.evaluation_panel import EvaluationPanel
        from hwr_desktop.ui.panels.history_panel import HistoryPanel
        from hwr_desktop.ui.panels.read_image_panel import ReadImagePanel
        from hwr_desktop.ui.panels.inside_panel import InsidePanel
        from hwr_desktop.ui.panels.test_predictions_panel import TestPredictionsPanel

        self.evaluation_panel = EvaluationPanel(self.session)
        self.test_predictions_panel = TestPredictionsPanel(self.session)
        self.history_panel = HistoryPanel(self.session, self.training_panel)
        self.inside_panel = InsidePanel(self.session, self.draw_panel)
        self.dataset_panel = DatasetPanel()
        extra = ((self.evaluation_panel, "Evaluation", "Accuracy, confusion matrix and mistakes on the MNIST test set"),
                 (self.test_predictions_panel, "Predictions", "Random MNIST test images and the model's answers"),
                 (self.history_panel, "History", "Per-epoch training curves; export PNG or CSV"),
                 (self.inside_panel, "Inside", "Saliency / Grad-CAM and first-layer feature maps of your drawing"),
                 (self.dataset_panel, "Dataset", "Browse the MNIST images by digit"))
        for panel, title, tip in extra:
            self.tabs.setTabToolTip(self.tabs.addTab(panel, title), tip)
            if hasattr(panel, "errorOccurred"):     # Inside shows why it cannot explain a model in its caption
                panel.errorOccurred.connect(self.show_error)
        self.read_image_panel = ReadImagePanel(self.session, self.settings)
        self.read_image_panel.openRequested.connect(self.open_image_dialog)
        self.read_image_panel.pasteRequested.connect(self.paste_image)
        self.read_image_panel.errorOccurred.connect(self.show_error)
        self.read_image_panel.imageOpened.connect(lambda: self.tabs.setCurrentWidget(self.read_image_panel))
        self.tabs.setTabToolTip(self.tabs.addTab(self.read_image_panel, "Read Image"),
                                "Find and read every digit in a photo or scan (open, drop or paste)")
        self._create_personal_tabs()
        # Panels with background jobs; closeEvent stops them and waits (fine-tuning before its sample store).
        self.job_panels = [self.evaluation_panel, self.test_predictions_panel, self.inside_panel, self.dataset_panel,
                           self.read_image_panel, self.finetune_panel, self.personal]

    def _create_personal_tabs(self) -> None:
        """The user's own samples: added from the canvas, browsed in My Samples, fine-tuned on in Training."""
        from hwr_desktop.ui.panels.finetune_panel import FinetunePanel
        from hwr_desktop.ui.personal_samples import PersonalSamples
        from hwr_desktop.ui.panels.my_samples_panel import MySamplesPanel

        self.personal = PersonalSamples.open(parent=self)   # a damaged store is backed up, a fresh one opened
        self.draw_panel.attach_samples(self.personal)
        self.my_samples_panel = MySamplesPanel(self.personal)
        self.finetune_panel = FinetunePanel(self.session, self.personal, self.runs)
        self.training_tab.layout().addWidget(self.finetune_panel)
        self.tabs.setTabToolTip(self.tabs.addTab(self.my_samples_panel, "My Samples"),
                                "Your own handwriting samples: check, relabel, export and import them")
        for panel in (self.draw_panel, self.my_samples_panel, self.finetune_panel):
            panel.errorOccurred.connect(self.show_error)
        self.finetune_panel.useModelRequested.connect(self.use_trained_model)
        self.finetune_panel.saveModelRequested.connect(self._save_trained_model)
        if self.personal.notice or self.personal.error:
            self.last_error_box = dialogs.message_box(self, QMessageBox.Icon.Warning, "Your handwriting samples",
                                                      self.personal.notice or self.personal.error)

    # ----- actions and menus -----
    def _action(self, text: str, slot, shortcut=None, tip: str = "", name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setObjectName(name)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        dp = self.draw_panel
        self.openModelAction = self._action("&Open Model…", self.open_model_dialog, QKeySequence.StandardKey.Open,
                                            "Load a trained .keras model", "openModelAction")
        self.openEnsembleAction = self._action("Open Bundled &Ensemble", lambda: self.open_model(ensemble_model_path()),
                                               None, "Three models averaged: more accurate, three times the work",
                                               "openEnsembleAction")
        self.openEnsembleAction.setEnabled(ensemble_model_path().is_file())
        self.saveModelAction = self._action("&Save Model As…", self.save_model_dialog, QKeySequence("Ctrl+Shift+S"),
                                            "Save the current model to a file", "saveModelAction")
        self.openImageAction = self._action("Open &Image…", self.open_image_dialog, QKeySequence("Ctrl+Shift+O"),
                                            "Read the digits in a photo or scan", "openImageAction")
        self.pasteImageAction = self._action("&Paste Image", self.paste_image, QKeySequence.StandardKey.Paste,
                                             "Read the digits in the image on the clipboard", "pasteImageAction")
        self.quitAction = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit HWR Desktop", "quitAction")
        self.undoAction = self._action("&Undo Stroke", dp.canvas.undo, QKeySequence.StandardKey.Undo, "", "undoAction")
        self.clearAction = self._action("&Clear Canvas", dp.canvas.clear, QKeySequence(Qt.Key.Key_Delete), "", "clearAction")
        self.biggerBrushAction = self._action("Bigger Brush", lambda: dp.change_brush(1), QKeySequence("]"), "", "biggerBrush")
        self.smallerBrushAction = self._action("Smaller Brush", lambda: dp.change_brush(-1), QKeySequence("["), "", "smallerBrush")
        self.startTrainingAction = self._action("&Start Training", lambda: self.training_panel.start(),
                                                QKeySequence("Ctrl+T"), "Train a new model", "startTrainingAction")
        self.stopTrainingAction = self._action("S&top Training", self.training_panel.stop, QKeySequence("Ctrl+."),
                                               "", "stopTrainingAction")
        self.stopTrainingAction.setEnabled(False)
        self.modelInfoAction = self._action("&Model Info…", self.show_model_info, QKeySequence("Ctrl+I"), "", "modelInfoAction")
        self.aboutAction = self._action("&About HWR Desktop", self.show_about, QKeySequence(Qt.Key.Key_F1), "", "aboutAction")

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.openModelAction)
        self.recentMenu = file_menu.addMenu("Open &Recent")
        self.recentMenu.setObjectName("recentMenu")
        file_menu.addAction(self.openEnsembleAction)
        file_menu.addAction(self.saveModelAction)
        file_menu.addSeparator()
        file_menu.addAction(self.openImageAction)
        file_menu.addSeparator()
        file_menu.addAction(self.quitAction)
        edit_menu = bar.addMenu("&Edit")
        for action in (self.undoAction, self.clearAction, self.pasteImageAction, self.biggerBrushAction,
                       self.smallerBrushAction, self.draw_panel.addSampleAction):
            edit_menu.addAction(action)
        train_menu = bar.addMenu("&Training")
        train_menu.addAction(self.startTrainingAction)
        train_menu.addAction(self.stopTrainingAction)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.modelInfoAction)
        help_menu.addAction(self.aboutAction)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        for action in (self.openModelAction, self.saveModelAction, None, self.undoAction, self.clearAction, None,
                       self.startTrainingAction, self.stopTrainingAction, None, self.modelInfoAction):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recentMenu.clear()
        paths = recent_models(self.settings)
        for path in paths:
            action = self.recentMenu.addAction(Path(path).name, lambda p=path: self.open_model(p))
            action.setStatusTip(path)
        self.recentMenu.setEnabled(bool(paths))

    def _set_training_actions(self, running: bool) -> None:
        self.startTrainingAction.setEnabled(not running)
        self.stopTrainingAction.setEnabled(running)

    # ----- model files -----
    def _initial_model_path(self) -> Path:
        last = self.settings.value("lastModel", "")
        return Path(last) if last and Path(last).is_file() else default_model_path()

    def _load_now(self, path: Path) -> None:
        try:
            self.session.load(path)
        except HwrError as exc:
            self.statusBar().showMessage("No model loaded")
            self.show_error("Cannot load model", str(exc))

    def open_model_dialog(self) -> None:
        start = str(self.session.path.parent) if self.session.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", start, MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, path: str | Path) -> bool:
        """Load a model file; on any problem show a dialog and keep the current model."""
        path = str(path)
        try:
            self.session.load(path)
        except HwrError as exc:
            self.show_error("Cannot open model", str(exc))
            if not Path(path).exists():
                remove_recent_model(self.settings, path)
                self._rebuild_recent_menu()
            return False
        add_recent_model(self.settings, str(Path(path).resolve()))
        self._rebuild_recent_menu()
        return True

    def save_model_dialog(self) -> None:
        if not self.session.ready:
            return
        suggested = self.session.path or Path.home() / f"{self.session.metadata.get('preset', 'model')}.keras"
        path, _ = QFileDialog.getSaveFileName(self, "Save Model As", str(suggested), MODEL_FILTER)
        if path:
            self.save_model(path)

    def save_model(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix != ".keras":
            path = path.with_suffix(".keras")
        try:
            written = self.session.save(path)
        except HwrError as exc:
            self.show_error("Cannot save model", str(exc))
            return False
        add_recent_model(self.settings, str(written.resolve()))
        self._rebuild_recent_menu()
        self.statusBar().showMessage(f"Saved {written}", 5000)
        return True

    # ----- images -----
    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str | Path) -> bool:
        return self.read_image_panel.open_path(path)

    def paste_image(self) -> bool:
        return self.read_image_panel.open_mime(QApplication.clipboard().mimeData(), "pasted image")

    def dragEnterEvent(self, event) -> None:
        if self.read_image_panel.can_open(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.read_image_panel.open_mime(event.mimeData(), "dropped image")
        event.acceptProposedAction()

    def use_trained_model(self, model, metadata: dict) -> None:
        self.session.use_trained(model, metadata)
        self.statusBar().showMessage("Using the newly trained model (not saved yet)", 5000)

    def _save_trained_model(self, model, metadata: dict) -> None:
        self.use_trained_model(model, metadata)
        self.save_model_dialog()

    def _on_model_changed(self) -> None:
        self.statusBar().showMessage(self.session.describe())
        self.saveModelAction.setEnabled(self.session.ready)
        name = self.session.path.name if self.session.path else "unsaved model"
        self.setWindowTitle(f"HWR Desktop — {name}{' *' if self.session.unsaved else ''}")
        if self.session.path and self.session.path != default_model_path():
            self.settings.setValue("lastModel", str(self.session.path))
        elif self.session.path == default_model_path():
            self.settings.remove("lastModel")

    # ----- dialogs -----
    def show_error(self, title: str, message: str) -> None:
        self.last_error_box = dialogs.message_box(self, QMessageBox.Icon.Critical, title, message)

    def show_model_info(self) -> None:
        dialogs.message_box(self, QMessageBox.Icon.Information, "Model Info", dialogs.model_info_html(self.session))

    def show_about(self) -> None:
        dialogs.message_box(self, QMessageBox.Icon.Information, "About HWR Desktop", dialogs.about_html())

    # ----- settings and closing -----
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(1200, 760)  # first launch, or a stored value Qt cannot use
        brush = self.settings.value("brushSize")
        try:
            if brush is not None:
                self.draw_panel.brushSlider.setValue(int(brush))
        except (TypeError, ValueError):
            pass

    def closeEvent(self, event) -> None:
        # Stop workers first and wait for them: destroying a running QThread aborts the process.
        self.training_panel.shutdown()
        for panel in self.job_panels:
            panel.shutdown()
        self.session.shutdown()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("brushSize", self.draw_panel.brushSlider.value())
        self.settings.sync()
        super().closeEvent(event)
