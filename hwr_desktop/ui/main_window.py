"""Main window: builds the panels and wires them to menus, toolbar, shortcuts, settings and each other.

It holds no policy of its own: the model is ui.session's, background jobs are each panel's
(ui.jobs), "training and fine-tuning do not run together" is ui.run_policy's. Every error a panel,
worker or the session reports arrives through an `errorOccurred(title, message)` signal at
show_error, the one way the app shows an error.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from hwr_desktop.resources import ensemble_model_path, resource_path
from hwr_desktop.ui import dialogs, gui_gc
from hwr_desktop.ui.accessibility import name_from_labels
from hwr_desktop.ui.model_files import ModelFiles
from hwr_desktop.ui.panels.dataset_panel import DatasetPanel
from hwr_desktop.ui.panels.drawing_panel import DrawingPanel
from hwr_desktop.ui.panels.evaluation_panel import EvaluationPanel
from hwr_desktop.ui.panels.finetune_panel import FinetunePanel
from hwr_desktop.ui.panels.history_panel import HistoryPanel
from hwr_desktop.ui.panels.inside_panel import InsidePanel
from hwr_desktop.ui.panels.my_samples_panel import MySamplesPanel
from hwr_desktop.ui.panels.predictions_panel import PredictionsPanel
from hwr_desktop.ui.panels.read_image_panel import ReadImagePanel
from hwr_desktop.ui.panels.runs_panel import RunsPanel
from hwr_desktop.ui.panels.training_panel import TrainingPanel
from hwr_desktop.ui.personal_samples import PersonalSamples
from hwr_desktop.ui.run_policy import ExclusiveRuns
from hwr_desktop.ui.session import ModelSession
from hwr_desktop.ui.settings import open_settings
from hwr_desktop.ui.widgets.grouped_tabs import GroupedTabs

# The views' width with the single-digit canvas: from here Every layer shows a layer's 16 maps (28 px
# each) in one row. In number mode the views may be narrower, down to what their own layouts need.
VIEWS_WIDTH = 522
# Number mode's share of the width for the drawing pane: at full HD the views keep VIEWS_WIDTH; at
# 1280x720 they get only their minimum (Every layer's maps wrap there), so the 4:1 strip is larger
# than the Training view's curves.
NUMBER_PANE_SHARE = 0.7


class MainWindow(QMainWindow):
    def __init__(self, model_path: str | Path | None = None, load_in_background: bool = False):
        super().__init__()
        gui_gc.hold()                      # garbage is collected on this thread only (ui/gui_gc.py)
        self._gc_held = True
        self.setObjectName("mainWindow")
        self.setWindowTitle("HWR Desktop")
        self.setAcceptDrops(True)  # drop an image file to read its digits
        icon = resource_path("icons", "app.png")
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.settings, settings_note = open_settings()
        self.last_error_box: QMessageBox | None = None
        self.export_dialog = None          # File > Export Model…, made when first asked for
        self.session = ModelSession(self)
        self.files = ModelFiles(self.session, self.settings, self)
        self.personal = PersonalSamples.open(parent=self)   # a damaged store is backed up, a fresh one opened
        self._create_panels()
        self._create_tabs()
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        splitter.addWidget(self.draw_panel)
        splitter.addWidget(self.tabs)
        # The drawing pane gets the larger share, so the canvas is the largest thing in the window;
        # the tabs keep VIEWS_WIDTH, where Every layer shows a layer's maps in one row (the views
        # themselves need less: number mode gives the strip what they can spare).
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([720, 480])
        self.tabs.setMinimumWidth(VIEWS_WIDTH)
        self.splitter = splitter
        self._single_digit_split: list[int] | None = None
        self.setCentralWidget(splitter)
        self._create_actions()
        self._create_menus()
        self._connect()
        name_from_labels(self)     # e.g. the training form's fields, named after their row labels
        self._restore_settings()
        self.statusBar().showMessage("Loading model…")
        if settings_note:
            self.show_error("Settings reset", settings_note)
        if self.personal.notice or self.personal.error:
            self.show_warning("Your handwriting samples", self.personal.notice or self.personal.error)
        self.files.load_first(Path(model_path) if model_path else self.files.initial_path(), load_in_background)

    # ----- building -----
    def _create_panels(self) -> None:
        session, runs = self.session, ExclusiveRuns(self)   # one training or fine-tuning run at a time
        self.draw_panel = DrawingPanel(session)
        self.draw_panel.attach_samples(self.personal)
        self.training_panel = TrainingPanel(runs)
        self.finetune_panel = FinetunePanel(session, self.personal, runs)
        self.evaluation_panel = EvaluationPanel(session)
        self.predictions_panel = PredictionsPanel(session)
        self.history_panel = HistoryPanel(session, self.training_panel)
        self.inside_panel = InsidePanel(session, self.draw_panel)
        self.dataset_panel = DatasetPanel()
        self.read_image_panel = ReadImagePanel(session, self.settings)
        self.my_samples_panel = MySamplesPanel(self.personal)
        self.runs_panel = RunsPanel()
        # What closeEvent shuts down, in order: every owner of a JobSlot (it stops and waits for its job),
        # fine-tuning before the sample store it reads.
        self.shutdown_order = [self.training_panel, self.evaluation_panel, self.predictions_panel,
                               self.inside_panel, self.dataset_panel, self.read_image_panel, self.draw_panel,
                               self.finetune_panel,
                               self.personal, self.runs_panel, self.session]

    def _create_tabs(self) -> None:
        # Nine views in five groups of tabs (ui/widgets/grouped_tabs.py says why groups): every title
        # whole from 1280x720 up. Fine-tuning sits under the samples it learns from, which also leaves
        # the Training view's height to the curves.
        self.training_tab = QWidget(objectName="trainingTab")
        tab_layout = QVBoxLayout(self.training_tab)
        tab_layout.setContentsMargins(0, 0, 0, 0)             # the panels have their own margins
        tab_layout.addWidget(self.training_panel, 1)
        self.samples_tab = QWidget(objectName="mySamplesTab")
        samples_layout = QVBoxLayout(self.samples_tab)
        samples_layout.setContentsMargins(0, 0, 0, 0)
        samples_layout.addWidget(self.my_samples_panel, 1)    # the grid takes what is left
        samples_layout.addWidget(self.finetune_panel)
        self.tabs = GroupedTabs(objectName="tabs")
        for title, tip, views in (
                ("Train", "Train a model, its curves, every run so far, the data it learns from", (
                    (self.training_tab, "Training", "Train a new model from a preset or your own design"),
                    (self.history_panel, "History", "Per-epoch training curves; export PNG or CSV"),
                    (self.runs_panel, "Runs", "Every training and fine-tuning run: compare, rename, delete, reopen"),
                    (self.dataset_panel, "Dataset", "Browse the MNIST images by digit"))),
                ("Test", "How the model does on the MNIST test set", (
                    (self.evaluation_panel, "Evaluation",
                     "Accuracy, confusion matrix and mistakes on the MNIST test set"),
                    (self.predictions_panel, "Predictions", "Random MNIST test images and the model's answers"))),
                ("Inside", "Inside the network: why this answer, every layer, one unit worked out, "
                           "filters, the digit map, and watching it learn", (
                    (self.inside_panel, "Inside", ""),)),
                ("Read", "Find and read every digit in a photo or scan (open, drop or paste)", (
                    (self.read_image_panel, "Read Image", ""),)),
                ("My Samples", "Your own handwriting samples: check, relabel, export and import them; "
                               "fine-tune the model on them", (
                    (self.samples_tab, "My Samples", ""),))):
            self.tabs.add_group(title, tip, views)

    def show_view(self, view) -> QWidget:
        """Show a view, whichever group it is in: its title ("Runs"), its panel, or a widget in it."""
        return self.tabs.show_page(view)

    def _connect(self) -> None:
        # A model Inside cannot explain is a state its views describe; its errorOccurred is for saving frames.
        for source in (self.session, self.files, self.draw_panel, self.training_panel, self.finetune_panel,
                       self.evaluation_panel, self.predictions_panel, self.history_panel, self.inside_panel,
                       self.dataset_panel, self.read_image_panel, self.my_samples_panel, self.runs_panel):
            source.errorOccurred.connect(self.show_error)
        for panel in (self.training_panel, self.finetune_panel):
            panel.useModelRequested.connect(self.files.use_trained)
            panel.saveModelRequested.connect(self.files.save_trained)
        self.training_panel.trainingStarted.connect(self.inside_panel.learning.reset)
        self.training_panel.learningFrame.connect(self.inside_panel.learning.add_frame)
        self.training_panel.trainingStarted.connect(self._update_training_actions)
        self.training_panel.trainingEnded.connect(self._update_training_actions)
        self.training_panel.trainingEnded.connect(self.runs_panel.refresh_if_shown)    # the run just recorded
        self.finetune_panel.finetuneEnded.connect(self.runs_panel.refresh_if_shown)
        self.runs_panel.openModelRequested.connect(self.open_model)
        self.read_image_panel.imageOpened.connect(lambda: self.show_view(self.read_image_panel))
        self.draw_panel.numberModeButton.toggled.connect(self._split_for_number_mode)
        self.session.modelChanged.connect(self._on_model_changed)
        self.files.statusMessage.connect(self.statusBar().showMessage)
        self.files.recentChanged.connect(self._rebuild_recent_menu)

    def _split_for_number_mode(self, number: bool) -> None:
        """A number is written on a strip four times as wide as high: in number mode the drawing pane
        takes NUMBER_PANE_SHARE of the width, or all that the views can spare (they keep their minimum,
        where every title still shows whole), so the strip stays the largest thing in the window; the
        single digit's split comes back."""
        if number:
            self._single_digit_split = self.splitter.sizes()
            total = sum(self._single_digit_split)
            self.tabs.setMinimumWidth(0)
            views = max(round(total * (1 - NUMBER_PANE_SHARE)), self.tabs.minimumSizeHint().width())
            views = min(views, total // 2)
            self.splitter.setSizes([total - views, views])
        elif self._single_digit_split is not None:
            self.tabs.setMinimumWidth(VIEWS_WIDTH)
            self.splitter.setSizes(self._single_digit_split)
            self._single_digit_split = None

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
        dp, a = self.draw_panel, self._action
        self.openModelAction = a("&Open Model…", self.files.open_dialog, QKeySequence.StandardKey.Open,
                                 "Load a trained .keras model", "openModelAction")
        self.openEnsembleAction = a("Open Bundled &Ensemble", lambda: self.open_model(ensemble_model_path()), None,
                                    "Three models averaged: more accurate, three times the work", "openEnsembleAction")
        self.openEnsembleAction.setEnabled(ensemble_model_path().is_file())
        self.saveModelAction = a("&Save Model As…", self.files.save_dialog, QKeySequence("Ctrl+Shift+S"),
                                 "Save the current model to a file", "saveModelAction")
        self.exportModelAction = a("&Export Model…", self.show_export_dialog, QKeySequence("Ctrl+E"),
                                   "The current model as ONNX, TFLite or SavedModel, checked on MNIST test",
                                   "exportModelAction")
        self.openImageAction = a("Open &Image…", self.read_image_panel.open_dialog, QKeySequence("Ctrl+Shift+O"),
                                 "Read the digits in a photo or scan", "openImageAction")
        self.pasteImageAction = a("&Paste Image", self.paste_image, QKeySequence.StandardKey.Paste,
                                  "Read the digits in the image on the clipboard", "pasteImageAction")
        self.quitAction = a("&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit HWR Desktop", "quitAction")
        self.undoAction = a("&Undo Stroke", dp.undo, QKeySequence.StandardKey.Undo, "", "undoAction")
        self.clearAction = a("&Clear Canvas", dp.clear, QKeySequence(Qt.Key.Key_Delete), "", "clearAction")
        self.biggerBrushAction = a("Bigger Brush", lambda: dp.change_brush(1), QKeySequence("]"), "", "biggerBrush")
        self.smallerBrushAction = a("Smaller Brush", lambda: dp.change_brush(-1), QKeySequence("["), "", "smallerBrush")
        self.startTrainingAction = a("&Start Training", lambda: self.training_panel.start(), QKeySequence("Ctrl+T"),
                                     "Train a new model", "startTrainingAction")
        self.stopTrainingAction = a("S&top Training", self.training_panel.stop, QKeySequence("Ctrl+."), "",
                                    "stopTrainingAction")
        self.stopTrainingAction.setEnabled(False)
        for needs_model in (self.saveModelAction, self.exportModelAction):   # until a model is ready: a failed load
            needs_model.setEnabled(False)                                  # at launch leaves none to save
        self.modelInfoAction = a("&Model Info…", self.show_model_info, QKeySequence("Ctrl+I"), "", "modelInfoAction")
        self.aboutAction = a("&About HWR Desktop", self.show_about, QKeySequence(Qt.Key.Key_F1), "", "aboutAction")

    def _create_menus(self) -> None:
        menus = {}
        for title, actions in (
                ("&File", (self.openModelAction, "recent", self.openEnsembleAction, self.saveModelAction,
                           self.exportModelAction, None,
                           self.openImageAction, None, self.quitAction)),
                ("&Edit", (self.undoAction, self.clearAction, self.pasteImageAction, self.biggerBrushAction,
                           self.smallerBrushAction, self.draw_panel.addSampleAction)),
                ("&Training", (self.startTrainingAction, self.stopTrainingAction)),
                ("&Help", (self.modelInfoAction, self.aboutAction))):
            menus[title] = menu = self.menuBar().addMenu(title)
            for action in actions:
                if action == "recent":
                    self.recentMenu = menu.addMenu("Open &Recent")
                    self.recentMenu.setObjectName("recentMenu")
                else:
                    menu.addSeparator() if action is None else menu.addAction(action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        for action in (self.openModelAction, self.saveModelAction, None, self.undoAction, self.clearAction, None,
                       self.startTrainingAction, self.stopTrainingAction, None, self.modelInfoAction):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recentMenu.clear()
        paths = self.files.recent()
        for path in paths:
            action = self.recentMenu.addAction(Path(path).name, lambda p=path: self.open_model(p))
            action.setStatusTip(path)
        self.recentMenu.setEnabled(bool(paths))

    def _update_training_actions(self) -> None:
        running = self.training_panel.is_running()
        self.startTrainingAction.setEnabled(not running)
        self.stopTrainingAction.setEnabled(running)

    # ----- model files (ui.model_files does the work; tests and menus call these) -----
    def open_model(self, path: str | Path) -> bool:
        return self.files.open(path)

    def save_model(self, path: str | Path) -> bool:
        return self.files.save(path)

    def _on_model_changed(self) -> None:
        self.statusBar().showMessage(self.session.describe())
        self.saveModelAction.setEnabled(self.session.ready)
        self.exportModelAction.setEnabled(self.session.ready)
        name = self.session.path.name if self.session.path else "unsaved model"
        self.setWindowTitle(f"HWR Desktop — {name}{' *' if self.session.unsaved else ''}")

    # ----- images -----
    def open_image(self, path: str | Path) -> bool:
        return self.read_image_panel.open_path(path)

    def paste_image(self) -> bool:
        return self.read_image_panel.paste()

    def dragEnterEvent(self, event) -> None:
        if self.read_image_panel.can_open(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.read_image_panel.open_mime(event.mimeData(), "dropped image")
        event.acceptProposedAction()

    # ----- dialogs -----
    def show_error(self, title: str, message: str) -> None:
        """The one way an error reaches the user: a non-blocking dialog (tests read last_error_box)."""
        self.last_error_box = dialogs.message_box(self, QMessageBox.Icon.Critical, title, message)

    def show_warning(self, title: str, message: str) -> None:
        self.last_error_box = dialogs.message_box(self, QMessageBox.Icon.Warning, title, message)

    def show_export_dialog(self) -> None:
        if self.export_dialog is None:
            from hwr_desktop.ui.export_dialog import ExportDialog
            self.export_dialog = ExportDialog(self.session, self)
            self.export_dialog.errorOccurred.connect(self.show_error)
            self.shutdown_order.insert(0, self.export_dialog)
        self.export_dialog.open()

    def show_model_info(self) -> None:
        dialogs.message_box(self, QMessageBox.Icon.Information, "Model Info", dialogs.model_info_html(self.session))

    def show_about(self) -> None:
        dialogs.message_box(self, QMessageBox.Icon.Information, "About HWR Desktop", dialogs.about_html())

    # ----- settings and closing -----
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(1200, 760)  # first launch, or a stored value Qt cannot use
        self.draw_panel.restore_settings(self.settings)

    def closeEvent(self, event) -> None:
        # Stop workers first and wait for them: destroying a running QThread aborts the process.
        for owner in self.shutdown_order:
            owner.shutdown()
        self.settings.setValue("geometry", self.saveGeometry())
        self.draw_panel.save_settings(self.settings)
        self.settings.sync()
        if self._gc_held:                  # no worker runs any more: collection may run anywhere again
            self._gc_held = False
            gui_gc.release()
        super().closeEvent(event)
