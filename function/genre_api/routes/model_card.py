"""GET /model (the model card) and GET /health."""

from fastapi import APIRouter

from genre_api.schemas import Health, ModelCard
from genre_api.settings import Settings
from genre_model import GenreClassifier
from genre_model.card import model_card


def model_card_router(classifier: GenreClassifier, settings: Settings) -> APIRouter:
    router = APIRouter()
    limits = {"title": settings.max_title_chars, "description": settings.max_description_chars}
    card = ModelCard(**model_card(classifier.manifest), limits=limits)
    loaded = Health(status="ok", model_version=classifier.version, labels=classifier.labels)

    @router.get("/health", summary="Model loaded, its version and labels")
    async def health() -> Health:
        return loaded

    @router.get("/model", summary="The model card: what the model is and how well it does")
    async def model() -> ModelCard:
        return card

    return router
