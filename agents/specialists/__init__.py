"""The specialists, one module per division; importing the package registers every one of them.

The registry finds this package with `autodiscover_modules("specialists")`, as the admin finds
`admin` modules: nothing names a specialist by a dotted string.
"""

from agents.specialists import (  # noqa: F401  (importing a division's module registers its specialists)
    creative,
    finance,
    growth,
    intelligence,
    operations,
    product,
    retention,
    sales,
)
