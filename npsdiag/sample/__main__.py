"""``python -m npsdiag.sample``: write the demo client's files (:func:`npsdiag.sample.main`)."""

import sys

from .files import main

sys.exit(main())
