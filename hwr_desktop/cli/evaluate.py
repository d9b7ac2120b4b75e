"""`hwr-desktop evaluate` (a model on the MNIST test set) and `hwr-desktop predict` (one digit per image)."""
from __future__ import annotations

from hwr_desktop.cli.common import (
    EXIT_OK,
    EXIT_USER_ERROR,
    Progress,
    emit_json,
    image_progress,
    load_predictor,
    process_files,
)


def register(sub) -> None:
    evaluate = sub.add_parser("evaluate", help="evaluate a model on the MNIST test set")
    evaluate.add_argument("--model", help="model file (default: the bundled model)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=run_evaluate)

    predict = sub.add_parser("predict", help="recognize the single digit in each image")
    predict.add_argument("--model", help="model file (default: the bundled model)")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(func=run_predict)


def run_evaluate(args) -> int:
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.evaluation import evaluate
    predictor = load_predictor(args.model, "keras")   # a bad file fails here: one line, nothing before it
    data = load_mnist()
    progress = Progress(quiet=args.json)     # an ensemble with shifted views takes a minute or more
    show = image_progress(progress, "MNIST test")
    show(0, len(data.y_test))
    report = evaluate(predictor.model, data.x_test, data.y_test,
                      outputs_are_probabilities=predictor.info.outputs_probabilities, progress=show,
                      temperature=predictor.info.temperature)   # the confidences `predict` and the app show
    progress.done()
    if args.json:
        emit_json({"model": str(args.model or "bundled default"), **report.to_dict()})
        return EXIT_OK
    print(f"model: {args.model or 'bundled default'} (preset {predictor.info.preset})")
    print(f"MNIST test: accuracy {report.accuracy:.4%}, loss {report.loss:.4f}, "
          f"{int((report.predictions != report.labels).sum())} errors of {report.n}")
    calibrated = f"temperature {report.temperature:.4g}" if predictor.info.calibration else "not calibrated"
    print(f"calibration error (ECE, 15 bins): {report.ece:.2%} ({calibrated}); "
          f"mean confidence {report.confidences.mean():.2%}")
    print("digit  precision  recall     f1")
    for d in range(10):
        print(f"  {d}     {report.precision[d]:.4f}    {report.recall[d]:.4f}  {report.f1[d]:.4f}")
    print("confusion matrix (rows: true digit, columns: predicted):")
    for d, row in enumerate(report.confusion):
        print(f"  {d}: " + " ".join(f"{v:5d}" for v in row))
    return EXIT_OK


def run_predict(args) -> int:
    from hwr_desktop.core.data.images import load_image
    predictor = load_predictor(args.model)
    results, failed = process_files(args.images, lambda name: predictor.predict_image(load_image(name)).to_dict(),
                                    quiet=args.json)
    if args.json:
        emit_json(results)
    else:
        for r in results:
            if "error" in r:
                continue
            if r["digit"] is not None:
                shown = f"{r['digit']} ({r['confidence']:.1%})"
            elif "not_digit" in r:
                shown = f"not a digit ({r['not_digit']:.1%} sure)"
            else:
                shown = "no digit"
            print(f"{r['file']}: {shown}")
    return EXIT_USER_ERROR if failed else EXIT_OK
