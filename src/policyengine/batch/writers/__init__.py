"""Batch outputs, one module per format, each registered by file suffix through the
``policyengine_batch_writers`` hook (see ``policyengine/_builtins.py``); :mod:`.registry` opens
the one a file's suffix names (and ``--station-reports``' directory, :mod:`.records`).
:mod:`.tables` holds the tables XLSX and CSV share; the signed reports (HTML, PDF, DOCX) draw one
document of blocks (:mod:`.document`, built by :mod:`.batch_doc` and :mod:`.record_doc` from
:mod:`.views`, with codes and fields in Chinese by :mod:`.labels`)."""
