"""Main window: builds the panels and wires menus, toolbar, shortcuts, settings and workers."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget, QApplication)

from hwr_desktop.core.errors import HwrError
from hwr_desktop.resources import default_model_path, resource_path
from hwr_desktop.ui import dialogs
from hwr_desktop.ui.draw_panel import DrawPanel
from hwr_desktop.ui.model_session import ModelSession
from hwr_desktop.ui.settings import add_recent_model, open_settings, recent_models, remove_recent_model
from hwr_desktop.ui.training_panel import TrainingPanel
from hwr_desktop.ui.workers import ModelLoadWorker

MODEL_FILTER = "Keras models (*.keras);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, model_path: str | Path | None = None, load_in_background: bool = False):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("HWR Desktop")
        icon = resource_path("icons", "app.png")
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.settings, settings_note = open_settings()
        self.session = ModelSession(self)
        self.loader: ModelLoadWorker | None = None
        self.last_error_box: QMessageBox | None = None

        self.draw_panel = DrawPanel(self.session)
        self.training_panel = TrainingPanel()
        self.tabs = QTabWidget(objectName="tabs")
        self.tabs.addTab(self.training_panel, "Training")
        self._create_extra_tabs()
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        splitter.addWidget(self.draw_panel)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)

        self._create_actions()
        self._create_menus()
        self.training_panel.useModelRequested.connect(self.use_trained_model)
        self.training_panel.saveModelRequested.connect(self._save_trained_model)
        self.training_panel.errorOccurred.connect(self.show_error)
        self.training_panel.trainingStarted.connect(lambda: self._set_training_actions(True))
        self.training_panel.trainingEnded.connect(lambda: self._set_training_actions(False))
        self.session.modelChanged.connect(self._on_model_changed)
        self._restore_settings()
        self.statusBar().showMessage("Loading model…")
        if settings_note:
            self.show_error("Settings reset", settings_note)

        path = Path(model_path) if model_path else self._initial_model_path()
        if load_in_background:
            self._load_in_background(path)
        else:
            self._load_now(path)

    def _create_extra_tabs(self) -> None:
        """Panels beyond training (evaluation and insight views), each built from the shared session."""
        from hwr_desktop.ui.dataset_browser import DatasetBrowser
        from hwr_desktop.ui.evaluation_panel import EvaluationPanel
        from hwr_desktop.ui.history_panel import HistoryPanel
        from hwr_desktop.ui.insight_panel import InsightPanel
        from hwr_desktop.ui.samples_panel import SamplesPanel

        self.evaluation_panel = EvaluationPanel(self.session)
        self.samples_panel = SamplesPanel(self.session)
        self.history_panel = HistoryPanel(self.session, self.training_panel)
        self.insight_panel = InsightPanel(self.session, self.draw_panel)
        self.dataset_browser = DatasetBrowser()
        extra = ((self.evaluation_panel, "Evaluation", "Accuracy, confusion matrix and mistakes on the MNIST test set"),
                 (self.samples_panel, "Samples", "Random test images and the model's answers"),
                 (self.history_panel, "History", "Per-epoch training curves; export PNG or CSV"),
                 (self.insight_panel, "Inside", "Saliency / Grad-CAM and first-layer feature maps of your drawing"),
                 (self.dataset_browser, "Dataset", "Browse the MNIST images by digit"))
        for panel, title, tip in extra:
            self.tabs.setTabToolTip(self.tabs.addTab(panel, title), tip)
        # Panels with background jobs; closeEvent stops them and waits.
        self.job_panels = [self.evaluation_panel, self.samples_panel, self.insight_panel, self.dataset_browser]

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
        self.saveModelAction = self._action("&Save Model As…", self.save_model_dialog, QKeySequence("Ctrl+Shift+S"),
                                            "Save the current model to a file", "saveModelAction")
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
        file_menu.addAction(self.saveModelAction)
        file_menu.addSeparator()
        file_menu.addAction(self.quitAction)
        edit_menu = bar.addMenu("&Edit")
        for action in (self.undoAction, self.clearAction, self.biggerBrushAction, self.smallerBrushAction):
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

    def _load_in_background(self, path: Path) -> None:
        self.loader = ModelLoadWorker(path, self)
        self.loader.loaded.connect(lambda predictor, p: self.session.set_predictor(predictor, Path(p)))
        self.loader.failed.connect(lambda message: self.show_error("Cannot load model", message))
        self.loader.start()

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
        if self.loader is not None:
            self.loader.wait(30000)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("brushSize", self.draw_panel.brushSlider.value())
        self.settings.sync()
        super().closeEvent(event)
