"""PubMed as a live source: NCBI's E-utilities for one question (:mod:`.eutils`)
and NLM's annual baseline with its daily update files (:mod:`.sync`), both
over HTTP with NCBI's rules (:mod:`.client`).  What they fetch goes through the
same reader and ingest as a file given to ``evidex ingest``."""
