"""The ingest run as its operator reads it: the report `lhl ingest` prints (and `lhl serve`
announces), why a file was skipped, and why a run failed (IngestFailed's message)."""

# -- the report (ingest/report.py) -----------------------------------------------------------
SUMMARY_DOCUMENTS = (
    "Dokumenter: {added} nye, {updated} endret, {removed} fjernet, {unchanged} uendret."
)
SUMMARY_CHUNKS = "Avsnitt i indeksen: {chunks} ({embedded} nye embeddinger). Tid: {seconds:.1f} s."
FILE_FAILED = "Kunne ikke lese {source}: {reason}"
FILE_SKIPPED = "Hoppet over {source}: {reason}"
FILE_DUPLICATE = "Samme innhold som {original}, lest inn én gang: {source}"

# -- why one file was not indexed (the {reason} above) ---------------------------------------
FILE_TOO_LARGE = (
    "filen er {size} MB, over grensen på {limit} MB (LHL_MAX_FILE_MB; del den opp, "
    "eller hev grensen)"
)
PREVIOUS_KEPT = " (forrige versjon er beholdt i indeksen)"  # appended to a reason
EMPTY_FILE = "tom fil"
NOTHING_TO_INDEX = "ingen tekst å lese inn"
BINARY_FILE = "binærfil, ikke tekst"
UNPARSABLE = "kunne ikke tolkes ({error}: {detail})"
PDF_ENCRYPTED = "PDF-en er passordbeskyttet"
PDF_BROKEN = "ødelagt eller ugyldig PDF ({detail})"
PDF_SCANNED = (
    "ingen tekst i PDF-en; den ser ut til å være skannet og trenger "
    "tekstgjenkjenning (OCR) før den kan indekseres"
)

# -- warnings: the run goes on ---------------------------------------------------------------
MANIFEST_NAMES_MISSING_FILE = "Advarsel: {manifest} nevner «{name}», men filen finnes ikke."
DOC_ID_TAKEN = (
    "Advarsel: dokument-id «{wanted}» brukes av flere filer; {source} fikk id «{doc_id}»."
)
OLD_INDEX_UNREADABLE = "Advarsel: den gamle indeksen kunne ikke leses; bygger den på nytt."

# -- the run failed (IngestFailed) -----------------------------------------------------------
NO_CORPUS_DIR = "Fant ikke dokumentmappen «{path}»."
MANIFEST_UNREADABLE = (
    "Kan ikke lese {manifest} i «{path}»: filen er ikke gyldig JSON med en liste «documents»."
)
NOTHING_INDEXED = "Fant ingen dokumenter som kunne leses inn i «{path}»."
LOCKED = (
    "En annen innlesing pågår allerede for indeksen i «{path}»{holder}. "
    "Vent til den er ferdig, og prøv igjen."
)
LOCK_HOLDER = " (prosess {pid})"  # the {holder} above, when the lock file names one
STOPPED = "Innlesingen stoppet før den var ferdig. Indeksen er som før; prøv igjen."
