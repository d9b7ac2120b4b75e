"""The Qt user interface (hwr_desktop.core does the work; nothing here is imported by it).

main_window  builds the window and wires it; no policy of its own
session      the current model (ModelSession); model_files: open/save/recent around it
jobs         the Worker base and JobSlot, the one lifecycle of every background job
workers/     the concrete jobs (model load, training, fine-tuning, evaluation, ...)
run_policy   which runs may not happen together (training and fine-tuning)
panels/      one module per tab or pane, named after it
widgets/     reusable widgets the panels are built from
dialogs, settings, personal_samples: message boxes, the INI file, the user's sample store
platform_check  runs before Qt is loaded (so no Qt in it): names the X11 libraries a desktop lacks
"""
