"""Retrieval: FAQ matching and knowledge-base search, hybrid (BM25 + embeddings), updatable in place.

- ``lexical``: BM25 (bm25s) over the text layer's terms.
- ``dense``: cosine search, exact or HNSW (hnswlib), optionally int8/PCA-compressed.
- ``fusion``: weighted (fitted on dev) or reciprocal-rank fusion of the two legs.
- ``hybrid``: entries grouped into FAQs/documents, searched by both legs.
- ``faq`` / ``kb``: the FAQ bank and the knowledge base on top of it.
"""
