// policyengine web pages: small progressive enhancements; every page reads without this file.
"use strict";
