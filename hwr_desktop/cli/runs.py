"""`hwr-desktop runs list|show|compare|delete|export-csv`: the run history (core/store/runs.py).

Every `train` and `finetune` (and every run started in the app) is recorded there; these commands
read it. Unknown ids are one-line errors with exit status 2.
"""
from __future__ import annotations

from hwr_desktop.cli.common import EXIT_OK, emit_json


def register(sub) -> None:
    runs = sub.add_parser("runs", help="the history of training and fine-tuning runs")
    rsub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True, parser_class=sub._parser_class)
    # (action, help, positional arguments, takes --json, function)
    for name, text, positionals, json_option, func in (
            ("list", "all recorded runs, oldest first, and the disk their models take", {}, True, cmd_list),
            ("show", "one run: config, architecture, history and figures", {"id": {}}, True, cmd_show),
            ("compare", "two runs: what differs in architecture and config, figures side by side",
             {"ids": {"nargs": 2}}, True, cmd_compare),
            ("delete", "delete a run and its model file", {"id": {}}, True, cmd_delete),
            ("export-csv", "write the runs table to a CSV file", {"file": {"metavar": "FILE"}}, False,
             cmd_export_csv)):
        action = rsub.add_parser(name, help=text)
        for dest, options in positionals.items():
            action.add_argument(dest, **{"metavar": "ID", **options})
        if name == "compare":
            action.add_argument("--all", action="store_true", help="every setting, not only those that differ")
        if json_option:
            action.add_argument("--json", action="store_true")
        action.set_defaults(func=func)


def _store():
    from hwr_desktop.core.store.runs import RunStore
    return RunStore()


def _percent(value) -> str:
    return f"{value:.2%}" if isinstance(value, (int, float)) else "—"


def cmd_list(args) -> int:
    from hwr_desktop.core.store.runs_report import format_bytes
    with _store() as store:
        runs, used = store.list(), store.disk_usage()
    if args.json:
        emit_json([run.to_dict() for run in runs])
        return EXIT_OK
    print(f"{'ID':>4}  {'STARTED':<20} {'KIND':<9} {'STATUS':<8} {'NAME':<24} {'PARAMS':>9} {'EP':>3} "
          f"{'SECONDS':>8} {'VAL':>7} {'TEST':>7}")
    for run in runs:
        d = run.to_dict()
        seconds = f"{d['train_seconds']:.1f}" if d["train_seconds"] is not None else "—"
        params = f"{d['params']:,}" if d["params"] is not None else "—"
        print(f"{run.id:>4}  {run.started[:19]:<20} {run.kind:<9} {run.status:<8} {run.name[:24]:<24} {params:>9} "
              f"{d['epochs']:>3} {seconds:>8} {_percent(d['val_accuracy']):>7} {_percent(d['test_accuracy']):>7}")
    print(f"{len(runs)} runs; their model files take {format_bytes(used)}")
    return EXIT_OK


def cmd_show(args) -> int:
    import json

    from hwr_desktop.core.store.runs import FINAL_VAL_LOSS
    with _store() as store:
        run = store.get(args.id)
    d = run.to_dict()
    if args.json:
        emit_json(d)
        return EXIT_OK
    print(f"run {run.id}: {run.name} ({run.kind}, {run.status})")
    print(f"started {run.started}" + (f", ended {run.finished}" if run.finished else ""))
    if run.error:
        print(f"error: {run.error}")
    if run.notes:
        print(f"notes: {run.notes}")
    print(f"validation {_percent(d['val_accuracy'])}, test {_percent(d['test_accuracy'])}, "
          f"{len(run.history)} epochs, {d['train_seconds'] or 0:.1f} s, {d['images_per_second'] or 0:,.0f} images/s")
    print(f"network {run.architecture_name}: {run.params or 0:,} parameters" +
          (f", {run.macs:,} multiply-adds per image" if run.macs else ""))
    for split in ("val", "test"):
        digits = run.metrics.get(f"{split}_per_digit")
        if digits:
            print(f"{split} per digit: " + " ".join(f"{d}:{a:.1%}" for d, a in enumerate(digits)))
    print(f"machine: {json.dumps(run.machine)}")
    print(f"config: {json.dumps(run.config, sort_keys=True)}")
    print(f"model: {run.model or '—'}")
    final = [f"{key} {d[key]:.4f}" for key in (FINAL_VAL_LOSS, "test_loss") if isinstance(d[key], (int, float))]
    if final:   # the figures `runs compare` shows
        print("final model (calibrated): " + ", ".join(final))
    if run.history:
        print("per epoch, during training (uncalibrated):")
    for row in run.history:
        print("  epoch {epoch}: loss {loss:.4f} val_loss {val_loss:.4f} val_acc {val_accuracy:.4f} "
              "({seconds:.1f} s)".format(**{"seconds": 0.0, **row}))
    return EXIT_OK


def cmd_compare(args) -> int:
    from hwr_desktop.core.store.runs_report import compare_figures, diff_runs, format_value
    with _store() as store:
        a, b = store.get(args.ids[0]), store.get(args.ids[1])
    settings, figures = diff_runs(a, b, everything=args.all), compare_figures(a, b)
    if args.json:
        emit_json({"runs": [a.id, b.id], "names": [a.name, b.name],
                   "differences": [{"key": k, "a": x, "b": y} for k, x, y in settings],
                   "figures": {k: [x, y] for k, x, y in figures}})
        return EXIT_OK
    width = max([len(k) for k, _, _ in settings + figures] + [8])
    print(f"{'':<{width}}  {f'#{a.id} {a.name}':<24} #{b.id} {b.name}")
    print("settings that differ:" if not args.all else "settings:")
    for key, x, y in settings or [("(none)", "", "")]:
        print(f"{key:<{width}}  {format_value(x):<24} {format_value(y)}")
    print("figures:")
    for key, x, y in figures:
        print(f"{key:<{width}}  {format_value(x):<24} {format_value(y)}")
    return EXIT_OK


def cmd_delete(args) -> int:
    with _store() as store:
        run = store.get(args.id)
        store.delete(run.id)
    if args.json:
        emit_json({"deleted": run.id})
    else:
        print(f"deleted run {run.id} ({run.name})")
    return EXIT_OK


def cmd_export_csv(args) -> int:
    from hwr_desktop.core.store.runs_report import write_runs_csv
    with _store() as store:
        runs = store.list()
    path = write_runs_csv(runs, args.file)
    print(f"wrote {len(runs)} runs to {path}")
    return EXIT_OK
