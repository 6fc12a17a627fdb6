"""Finding passages: vocabularies and synonym expansion, embeddings, hybrid
retrieval and reranking, over the document store of :mod:`evidex.evidence`."""
