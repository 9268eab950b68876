"""The CLI's names and defaults in one place: its environment variable, the API's routes and the
stack output it reads, and the defaults its options show."""

ENDPOINT_ENV = "MOVIE_CLASSIFIER_ENDPOINT"
EMBEDDED = "embedded"  # --endpoint value for the model in this process (the default)

# The movie-genre API (function/genre_api) and the output `sam deploy` gives its URL in.
GENRES_ROUTE = "genres"
EXPLAIN_ROUTE = "explain"
FEEDBACK_ROUTE = "feedback"
STACK_URL_OUTPUT = "GenreApiUrl"

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 4
DEFAULT_BATCH_SIZE = 64
DEFAULT_CONCURRENCY = 4
# urllib3's backoff factor for a throttled request's retries: the first at once, then 1 s, 2 s,
# 4 s, ... (a Retry-After header, when sent, decides instead).
RETRY_BACKOFF_S = 0.5

# How much of a body that is not the API's JSON (a proxy's HTML page) an error message quotes.
QUOTED_BODY_CHARS = 200

# Catalogue jobs (--file s3://...): the stack's outputs that name the state machine and where it
# may read catalogues and write results (template.yaml), and how often a job's progress is read.
CATALOGUE_MACHINE_OUTPUT = "CatalogueStateMachineArn"
CATALOGUE_INPUT_OUTPUT = "CatalogueInputLocation"
CATALOGUE_RESULTS_OUTPUT = "CatalogueResultsLocation"
CATALOGUE_POLL_S = 5.0

# How many rows not classified a --file run or a catalogue job lists by number (all are marked in
# --output).
SHOWN_PROBLEMS = 10
