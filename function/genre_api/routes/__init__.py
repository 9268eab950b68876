"""One APIRouter per resource; genre_api.app assembles them."""
