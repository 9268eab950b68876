"""How many words per genre an explanation may give: stdlib only, so that the CLI's HTTP mode
(no spaCy) offers the same limits as the API and the in-process model."""

DEFAULT_TOP = 8
MAX_TOP = 20
