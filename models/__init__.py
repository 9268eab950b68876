"""Model artifacts that ship inside the movie-genre package: default/ is what an install
classifies with when no other model is named."""
