"""Testing packs: the YAML test cases beside each pack, run by ``policyengine test`` and by
the pytest plugin (``policyengine.pytest_plugin``)."""
