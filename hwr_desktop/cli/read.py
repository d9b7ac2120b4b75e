"""`hwr-desktop read`: all the digits in photos and scans, left to right (core/reading/number_reader.py)."""
from __future__ import annotations

import argparse

from hwr_desktop.cli.common import EXIT_OK, EXIT_USER_ERROR, emit_json, load_predictor, process_files
from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, REJECTED

EPILOG = (f"Printed lines (ruled paper, grids, form boxes) are removed first. The sequence reader reads "
          f"the whole line at once (its likeliest whole numbers), and the digit model checks each digit of "
          f"them on its own crop. A digit is reported only when its probability is at least "
          f"--min-confidence (default {DEFAULT_MIN_CONFIDENCE}) and the reader's own threshold (chosen on "
          f"validation numbers, stored in its file); otherwise its digit is null and it "
          f"shows as '{REJECTED}' in the text. Unreadable files are reported per file and the others "
          f"are still read; the exit status is then 2. Plain output is one line per file: the text, how "
          f"sure the whole number is, and each mark's digit and confidence (for '{REJECTED}', its best "
          f"guess as '7{REJECTED}', why it was not read, and the next likeliest digit).")


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def register(sub) -> None:
    read = sub.add_parser("read", help="read the digits (a number, left to right) in photos and scans",
                          description="Read every handwritten digit in each image, left to right: photos and "
                                      "scans, dark or light ink, any size.", epilog=EPILOG)
    read.add_argument("--model", help="model file (default: the bundled model)")
    read.add_argument("--min-confidence", type=_confidence, default=DEFAULT_MIN_CONFIDENCE, metavar="P",
                      help=f"reject marks the model is less sure of than this probability, 0-1 "
                           f"(default {DEFAULT_MIN_CONFIDENCE})")
    read.add_argument("--reader", "--line-reader", metavar="FILE", dest="reader",
                      help="sequence reader model file (default: the bundled one)")
    read.add_argument("--digits-only", action="store_true",
                      help="read with the digit model alone, mark by mark, without the sequence reader")
    read.add_argument("images", nargs="+", metavar="IMAGE")
    read.add_argument("--json", action="store_true",
                      help="one JSON list: per image {file, text, confidence, digits: [{digit, confidence, box, "
                           "alternatives: [{digit, confidence}]}]} or {file, error}. 'confidence' of an image is "
                           "the probability that the whole number is right; each digit's 'alternatives' are its "
                           "three most likely digits, best first (also for rejected marks, whose digit is null); "
                           "box is x0, y0, x1, y1 in image pixels, x1 and y1 exclusive; 'readings' are the likeliest "
                           "whole numbers [{text, probability}], best first")
    read.set_defaults(func=run_read)


def _describe_digit(d: dict) -> str:
    if d["digit"] is not None:
        return f"{d['digit']} {d['confidence']:.0%}"
    # A '?': its best guess with a question mark ("7? 41%", never "? 41%", which read as "41 % sure it
    # is a question mark"), then why it is not read and the next likeliest digit.
    if not d["alternatives"]:
        return f"{REJECTED} (not digit-shaped)"
    best, *others = d["alternatives"]
    also = f"; else {others[0]['digit']} {others[0]['confidence']:.0%}" if others else ""
    return f"{best['digit']}{REJECTED} {best['confidence']:.0%} ({d.get('why') or 'unsure'}{also})"


def _describe(result: dict) -> str:
    """One line: the text, how sure the whole number is, then every mark."""
    if not result["digits"]:
        return "no digits"
    marks = ", ".join(_describe_digit(d) for d in result["digits"])
    return f"{result['text']}  (number {result['confidence']:.0%} sure; {marks})"


def run_read(args) -> int:
    from hwr_desktop.core.data.images import load_image
    from hwr_desktop.core.reading.number_reader import SequenceReader, bundled_reader, read_number
    predictor = load_predictor(args.model)
    reader = None
    if not args.digits_only:
        reader = SequenceReader.from_file(args.reader) if args.reader else bundled_reader()
    results, failed = process_files(
        args.images,
        lambda name: read_number(predictor, load_image(name), reader, args.min_confidence).to_dict(),
        quiet=args.json)
    if args.json:
        emit_json(results)
    else:
        for r in results:
            if "error" not in r:
                print(f"{r['file']}: {_describe(r)}")
    return EXIT_USER_ERROR if failed else EXIT_OK
