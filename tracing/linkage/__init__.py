"""Linkage jobs: the store and the matching engine together.

The engine (`matching`) knows nothing of the database. Here records are loaded into the
engine's DESIGN §3 frames (`store_frames`), candidates are retrieved with the store's
indexes (`candidate_retrieval`), fitted engines are kept in the store
(`fitted_engines`), ranked pairs are written back as potential matches in bulk
(`proposal_writes`), and the matching passes run (`jobs`: real-time and `ftr match`).
`link_command` is `ftr link`: the engine alone on two files, without a database.
"""
