"""POST /feedback: a user's correction of a movie's genres, stored for the next training.

A valid correction becomes one S3 object or file (genre_api.feedback_store) and is answered 202
with its id, also when the same client had already sent the same correction (stored once);
anything invalid is a 422 and nothing is stored; a body that is not application/json is a 415
(genre_api.json_bodies); without a store the route answers 503 "feedback is not configured".
Every answer of the route names the model serving it (X-Model-Version), so that a client tells
the function's own 503 from throttling.

Each correction records its client, so that training can bound what one client weighs: the
IAM principal API Gateway verified (AuthMode IAM), else a keyed hash of the source address API
Gateway saw (or, outside Lambda, the TCP peer's), never the address itself.
"""

# No `from __future__ import annotations`: FastAPI resolves the route's annotations, which name
# the app's own body dependency.
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from genre_api.feedback_store import FeedbackStore, StoreUnavailable
from genre_api.json_bodies import JSON_ONLY
from genre_api.refusals import BODY_REFUSALS
from genre_api.schemas import CorrectionSaved, CorrectionText, Message
from genre_model.constants import MODEL_VERSION_HEADER
from genre_model.corrections import (
    FEEDBACK_NOT_CONFIGURED,
    client_of_address,
    client_of_principal,
    new_correction,
)

if TYPE_CHECKING:
    from genre_api.observability import Observer

NOT_STORED = "the correction could not be stored; try again later"
FEEDBACK_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"description": "Stored, once and for good: the correction's id"},
    **BODY_REFUSALS,
    415: {"model": Message, "description": JSON_ONLY},
    503: {
        "model": Message,
        "description": f'"{FEEDBACK_NOT_CONFIGURED}" (the deployment has no feedback bucket), '
        "or the store failed: nothing was stored",
    },
}


def request_id(request: Request) -> str | None:
    """API Gateway's id of the request (what its access logs show), else Lambda's; None outside
    Lambda."""
    event = request.scope.get("aws.event") or {}
    found = (event.get("requestContext") or {}).get("requestId")
    context = request.scope.get("aws.context")
    return str(found or getattr(context, "aws_request_id", "") or "") or None


def client_of(request: Request, key: bytes) -> str:
    """Who sent the request: the IAM principal when API Gateway verified a signature, else the
    HMAC (with key) of the source address it saw, or outside Lambda of the TCP peer's."""
    event = request.scope.get("aws.event") or {}
    context = event.get("requestContext") or {}
    arn = ((context.get("authorizer") or {}).get("iam") or {}).get("userArn")
    if isinstance(arn, str) and arn:
        return client_of_principal(arn)
    address = (context.get("http") or {}).get("sourceIp")
    if not isinstance(address, str) or not address:
        address = request.client.host if request.client else ""
    return client_of_address(address, key)


def feedback_router(
    store: FeedbackStore | None,
    correction_body: Callable[..., Awaitable[CorrectionText]],
    model_version: str,
    observer: "Observer | None",
    max_body_bytes: int,
    client_key: bytes,
) -> APIRouter:
    """store None: feedback is not configured. max_body_bytes: the largest body read.
    client_key: the secret of the clients' address hashes."""
    router = APIRouter()
    served = {MODEL_VERSION_HEADER: model_version}

    # A plain `def`: the S3 write blocks, so FastAPI runs it in its thread pool.
    @router.post(
        "/feedback",
        status_code=202,
        summary="Correct a movie's genres: stored for the next model to learn from",
        responses=FEEDBACK_ANSWERS,
        max_body_size=max_body_bytes,
    )
    def feedback(
        body: Annotated[CorrectionText, Depends(correction_body)],
        request: Request,
        response: Response,
    ) -> CorrectionSaved:
        if store is None:
            raise HTTPException(503, FEEDBACK_NOT_CONFIGURED, headers=served)
        correction = new_correction(
            title=body.title,
            description=body.description,
            genres=body.genres,
            served_by=model_version,
            client=client_of(request, client_key),
            request_id=request_id(request),
            model_version=body.model_version,
            scores=body.scores,
        )
        if observer is not None:
            observer.record_feedback(request, correction)
        try:
            # False: the same client sent the same correction before; it is stored once.
            store.save(correction)
        except StoreUnavailable as error:
            if observer is not None:
                observer.logger.warning("correction not stored", extra={"reason": str(error)})
            # No X-Model-Version: a failed write is worth retrying, like throttling.
            raise HTTPException(503, NOT_STORED) from error
        response.headers.update(served)
        return CorrectionSaved(
            id=correction.id,
            received_at=correction.received_at.isoformat(),
            model_version=model_version,
        )

    return router
