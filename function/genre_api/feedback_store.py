"""Where POST /feedback puts a correction: one new S3 object (genre_model.corrections' layout).

botocore, not boto3: the function image has botocore (pinned in the [function] extra) and a
single put_object needs nothing more. The client is made at the first correction, so that a
cold start that never stores one pays nothing for it; it has short timeouts, and botocore's
standard retries for S3's own throttling.
"""

from __future__ import annotations

import threading
from typing import Any

from genre_model.corrections import CONTENT_TYPE, Correction

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
MAX_ATTEMPTS = 3


class StoreUnavailable(Exception):
    """The correction could not be stored; the message says why, without its text."""


class FeedbackStore:
    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = None
        self._lock = threading.Lock()

    def key(self, correction: Correction) -> str:
        return correction.object_key(self.prefix)

    def save(self, correction: Correction) -> str:
        """Write correction as a new object (never over another) and return its key."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(correction)
        try:
            self.client().put_object(
                Bucket=self.bucket,
                Key=key,
                Body=correction.encode(),
                ContentType=CONTENT_TYPE,
                IfNoneMatch="*",
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise StoreUnavailable(f"s3://{self.bucket}: {code}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"s3://{self.bucket}: {type(error).__name__}") from error
        return key

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
