"""Training steps: prepare the data, evaluate a trained pipeline, package, publish and pull it."""
