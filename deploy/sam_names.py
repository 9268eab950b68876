"""What SAM CLI names and makes for `sam deploy`, from SAM CLI's own code.

Runs with SAM's own Python (SAM lives in a venv of its own: .venv/sam/bin/python):

    sam_names.py names STACK [TEMPLATE]   JSON: SAM's managed stack, and the companion stack and
                                          image repositories resolve_image_repos makes for STACK
    sam_names.py managed-bucket REGION    SAM's managed artifacts stack (created if missing, as
                                          `sam deploy --resolve-s3` would): its bucket's name

`make bootstrap` writes these names into each environment's deploy policy, and a test compares
them with what the installed SAM CLI computes, so that a SAM upgrade that renames them fails
the test instead of a deploy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from samcli.lib.bootstrap.bootstrap import SAM_CLI_STACK_NAME, manage_stack
from samcli.lib.bootstrap.companion_stack.data_types import CompanionStack, ECRRepo
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.lib.utils.packagetype import IMAGE

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


def names(stack_name: str, template: Path = TEMPLATE) -> dict[str, object]:
    """The names as sync_ecr_stack (samcli.lib.bootstrap.companion_stack) derives them."""
    stacks = SamLocalStackProvider.get_stacks(str(template), language_extensions_enabled=False)[0]
    provider = SamFunctionProvider(stacks, ignore_code_extraction_warnings=True)
    functions = [f.full_path for f in provider.get_all() if f.packagetype == IMAGE]
    companion = CompanionStack(stack_name)
    return {
        "managed_stack": SAM_CLI_STACK_NAME,
        "companion_stack": companion.stack_name,
        "image_repositories": {f: ECRRepo(companion, f).physical_id for f in sorted(functions)},
    }


def main(argv: list[str]) -> None:
    match argv:
        case ["names", stack]:
            print(json.dumps(names(stack)))
        case ["names", stack, template]:
            print(json.dumps(names(stack, Path(template))))
        case ["managed-bucket", region]:
            print(manage_stack(profile=None, region=region))
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
