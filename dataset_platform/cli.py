"""`dataset-platform` command line (DESIGN.md). Each sub-command imports its domain lazily."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHAT_FORMATS = ("openai", "sharegpt", "alpaca", "chatml", "vicuna")  # dataset_platform.pipelines.chat.FORMATS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataset-platform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo_data = sub.add_parser("demo-data", help="render demo forms with ground truth and seed the review database")
    demo_data.add_argument("--form-sets", type=int, default=12)
    demo_data.add_argument("--complaints", type=int, default=6000)
    demo_data.add_argument("--seed", type=int, default=7)
    demo_data.add_argument(
        "--printed",
        action="store_true",
        help="the older typed 5/18 look (Tesseract baseline) instead of handwritten real layouts",
    )

    extract = sub.add_parser("extract", help="extract form-set directories to JSON lines")
    extract.add_argument("dirs", nargs="+", type=Path)
    extract.add_argument("--model", required=True)
    extract.add_argument("--output", type=Path, default=None)
    extract.add_argument("--max-concurrency", type=int, default=None)

    evaluate = sub.add_parser("evaluate", help="score predictions against expected extractions")
    evaluate.add_argument("--predictions", type=Path, required=True)
    evaluate.add_argument("--expected", type=Path, required=True)

    review = sub.add_parser("review", help="start the review app (Streamlit)")
    review.add_argument("--host", default="127.0.0.1")
    review.add_argument("--port", type=int, default=8501)
    review.add_argument("--secrets", type=Path, default=None, help="secrets.toml with the [auth] sign-in settings")
    review.add_argument("--base-url-path", default="", help="URL prefix when served behind a proxy, e.g. review")

    convert = sub.add_parser("convert", help="convert a JSONL chat dataset between formats")
    convert.add_argument("input", type=Path)
    convert.add_argument("--from", dest="src", required=True, choices=CHAT_FORMATS)
    convert.add_argument("--to", dest="dst", required=True, choices=CHAT_FORMATS)
    convert.add_argument("--output", type=Path, required=True)

    sub.add_parser("materialize-all", help="materialise every asset of the graph offline (the demo)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo-data":
        from dataset_platform.demo_data import create_demo_data

        create_demo_data(form_sets=args.form_sets, complaints=args.complaints, seed=args.seed, printed=args.printed)
        return 0
    if args.command == "extract":
        from dataset_platform.forms.extract_cli import main as extract_main

        return extract_main(args.dirs, model=args.model, output=args.output, max_concurrency=args.max_concurrency)
    if args.command == "evaluate":
        from dataset_platform.experiments.evaluate_cli import main as evaluate_main

        return evaluate_main(predictions=args.predictions, expected=args.expected)
    if args.command == "review":
        from dataset_platform.review_app.launch import launch

        return launch(host=args.host, port=args.port, secrets=args.secrets, base_url_path=args.base_url_path)
    if args.command == "convert":
        from dataset_platform.pipelines.convert_cli import main as convert_main

        return convert_main(args.input, src=args.src, dst=args.dst, output=args.output)
    if args.command == "materialize-all":
        from dataset_platform.demo_run import materialize_all

        return materialize_all()
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
