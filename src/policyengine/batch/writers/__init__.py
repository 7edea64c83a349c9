"""Batch outputs, one module per format, each registered by file suffix through the
``policyengine_batch_writers`` hook (see ``policyengine/_builtins.py``); :mod:`.registry` opens
the one a file's suffix names. :mod:`.tables` holds the tables XLSX, CSV and HTML share."""
