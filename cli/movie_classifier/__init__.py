"""movie_classifier: classify a movie's genre from its title and description."""
