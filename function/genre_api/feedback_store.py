"""Where POST /feedback puts a correction: one new S3 object, or one new file in a folder
(MOVIE_GENRE_FEEDBACK_DIR, for a laptop without AWS), at the same key
(genre_model.corrections' layout) and with the same bytes, so that training reads either.

A correction's id is content-addressed, so the same correction posted again has the same key:
it is written once, never replaced. S3 refuses the second write (If-None-Match: *, 412) and a
folder refuses it too (a hard link is never made over an existing name); either way save says
"already stored", and the route still answers 202.

S3 through botocore, not boto3: the function image has botocore (pinned in the [function] extra)
and a single put_object needs nothing more. The client is made at the first correction, so that
a cold start that never stores one pays nothing for it; it has short timeouts, and botocore's
standard retries for S3's own throttling.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol

from genre_api.settings import Settings
from genre_model.corrections import CONTENT_TYPE, Correction

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
MAX_ATTEMPTS = 3
# S3's answer to If-None-Match: * when the key exists: the correction is already stored.
ALREADY_THERE = "PreconditionFailed"
NEW_FILE_MODE = 0o644  # corrections are read by training, written only by the API


def feedback_store(settings: Settings) -> FeedbackStore | None:
    """The store settings name (a bucket or a folder), or None: feedback is not configured."""
    if settings.feedback_bucket is not None:
        return S3FeedbackStore(settings.feedback_bucket, settings.feedback_prefix)
    if settings.feedback_dir is not None:
        return FolderFeedbackStore(settings.feedback_dir)
    return None


def client_key(settings: Settings) -> bytes:
    """The secret of the clients' address hashes: the setting, else random for this process."""
    key = settings.feedback_client_key
    return key.get_secret_value().encode() if key is not None else secrets.token_bytes(32)


class StoreUnavailable(Exception):
    """The correction could not be stored; the message says why, without its text."""


class FeedbackStore(Protocol):
    def save(self, correction: Correction) -> bool:
        """Write correction once: True when written now, False when it was already stored."""
        ...


class S3FeedbackStore:
    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = None
        self._lock = threading.Lock()

    def key(self, correction: Correction) -> str:
        return correction.object_key(self.prefix)

    def save(self, correction: Correction) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client().put_object(
                Bucket=self.bucket,
                Key=self.key(correction),
                Body=correction.encode(),
                ContentType=CONTENT_TYPE,
                IfNoneMatch="*",
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            if code == ALREADY_THERE:
                return False
            raise StoreUnavailable(f"s3://{self.bucket}: {code}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"s3://{self.bucket}: {type(error).__name__}") from error
        return True

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import botocore.session
                from botocore.config import Config

                # Region, credentials and AWS_ENDPOINT_URL from the environment, as boto3 would.
                self._client = botocore.session.get_session().create_client(
                    "s3",
                    config=Config(
                        connect_timeout=CONNECT_TIMEOUT_S,
                        read_timeout=READ_TIMEOUT_S,
                        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                    ),
                )
            return self._client


class FolderFeedbackStore:
    """Corrections as files under folder, at their object keys (date=YYYY-MM-DD/<id>.json).

    Each file is written whole to a temporary name beside it, then linked to its own name: a
    reader never sees half a correction, and a name that exists is never replaced.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, correction: Correction) -> Path:
        return self.folder / correction.object_key("")

    def save(self, correction: Correction) -> bool:
        path = self.path(correction)
        temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except OSError as error:
            raise StoreUnavailable(f"{self.folder}: {error.strerror or error}") from error
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(correction.encode())
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError as error:
            raise StoreUnavailable(f"{self.folder}: {error.strerror or error}") from error
        finally:
            temporary.unlink()
        return True
