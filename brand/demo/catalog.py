"""Hearth & Pine's catalogue: products, their variants, prices, costs, suppliers and popularity.

Prices and costs are fixed (they are the brand's price list, not noise); only the popularity of
each variant is jittered per seed. Margins stay below 60% everywhere but on HP-310 (the
under-promoted high-margin pan), and the "value" textiles and accessories carry thin margins,
which is what WELCOME40 orders are made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

IRONWORKS = "Ironworks Foundry"
COPPER = "Copper & Co"
LINEN = "Linen House"

SUPPLIERS: dict[str, dict[str, object]] = {
    IRONWORKS: {"email": "orders@ironworks-foundry.example", "lead_time_days": 21, "payment_terms_days": 45,
                "minimum_order_value": Decimal("2500.00")},
    COPPER: {"email": "sales@copperandco.example", "lead_time_days": 30, "payment_terms_days": 30,
             "minimum_order_value": Decimal("1500.00")},
    LINEN: {"email": "wholesale@linenhouse.example", "lead_time_days": 14, "payment_terms_days": 30,
            "minimum_order_value": Decimal("800.00")},
}  # fmt: skip

# The planted SKUs, named by docs/demo-signals.md.
SKILLET_10 = "HP-104"
ROASTING_PAN = "HP-310"
GLASS_KETTLE_BLUE = "GK-150"
LINEN_APRON_SAGE = "LA-220"
COLD_BREW = "CB-500"


@dataclass(frozen=True)
class VariantSpec:
    sku: str
    handle: str
    product_title: str
    option_name: str  # "Title" for a product without options, as Shopify exports it
    option_value: str  # "Default Title" then
    price: Decimal
    cost: Decimal
    compare_at: Decimal | None
    supplier: str
    product_type: str
    tags: str
    weight: float  # relative popularity before the per-seed jitter
    value_item: bool  # thin margin: what WELCOME40 orders are made of

    @property
    def line_name(self) -> str:
        """Shopify's "Lineitem name": the product, then the variant unless it is the default."""
        return (
            self.product_title
            if self.option_value == "Default Title"
            else f"{self.product_title} - {self.option_value}"
        )

    @property
    def margin(self) -> Decimal:
        return (self.price - self.cost) / self.price


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# (title, type, supplier, tags, option name, [(sku, option value, price, weight)], cost ratio, value item)
_PRODUCTS: list[tuple[str, str, str, str, str, list[tuple[str, str, float, float]], float, bool]] = [
    ("Cast Iron Skillet", "Cookware", IRONWORKS, "cast iron, bestseller", "Size",
     [("HP-103", "8in", 34, 10), (SKILLET_10, "10in", 44, 46), ("HP-105", "12in", 54, 14)], 0.44, False),
    ("Enamel Dutch Oven", "Cookware", IRONWORKS, "enamel, gift", "Style",
     [(f"HP-{201 + i}", f"{size} / {colour}", price, 3.0)
      for i, (size, price, colour) in enumerate(
          (s, p, c) for s, p in (("4qt", 129), ("6qt", 159), ("8qt", 189))
          for c in ("Cream", "Forest", "Cherry", "Slate"))], 0.47, False),
    ("Enamel Braiser", "Cookware", IRONWORKS, "enamel", "Colour",
     [(f"HP-{221 + i}", c, 139, 2.5) for i, c in enumerate(("Cream", "Forest", "Cherry", "Slate"))], 0.48, False),
    ("Enamel Roasting Pan", "Bakeware", IRONWORKS, "enamel, roasting", "Title",
     [(ROASTING_PAN, "Default Title", 79, 24)], 0.35, False),
    ("Cast Iron Grill Pan", "Cookware", IRONWORKS, "cast iron", "Size",
     [("HP-320", "10in", 49, 5), ("HP-321", "12in", 59, 4)], 0.46, False),
    ("Carbon Steel Wok", "Cookware", IRONWORKS, "carbon steel", "Size",
     [("HP-330", "12in", 64, 4), ("HP-331", "14in", 74, 3)], 0.5, False),
    ("Cast Iron Care Kit", "Accessories", IRONWORKS, "cast iron, care", "Title",
     [("HP-340", "Default Title", 24, 9)], 0.52, False),
    ("Cast Iron Bread Pan", "Bakeware", IRONWORKS, "cast iron, baking", "Title",
     [("HP-345", "Default Title", 42, 4)], 0.5, False),
    ("Enamel Pie Dish", "Bakeware", IRONWORKS, "enamel, baking", "Colour",
     [(f"HP-{350 + i}", c, 36, 2) for i, c in enumerate(("Cream", "Forest", "Cherry", "Slate"))], 0.51, False),
    ("Stoneware Baking Dish", "Bakeware", IRONWORKS, "stoneware, baking", "Size",
     [("HP-360", "Small", 38, 3), ("HP-361", "Medium", 48, 3), ("HP-362", "Large", 58, 2.5)], 0.5, False),
    ("Cast Iron Trivet", "Accessories", IRONWORKS, "cast iron", "Title",
     [("HP-370", "Default Title", 22, 3)], 0.55, False),
    ("Skillet Handle Sleeve", "Accessories", IRONWORKS, "cast iron, accessories", "Colour",
     [(f"HP-{380 + i}", c, 12, 3) for i, c in enumerate(("Natural", "Charcoal", "Rust", "Sage"))], 0.66, True),
    ("Copper Saucepan", "Cookware", COPPER, "copper", "Size",
     [("CC-401", "1qt", 119, 2), ("CC-402", "2qt", 149, 2.5), ("CC-403", "3qt", 179, 1.5)], 0.5, False),
    ("Copper Saute Pan", "Cookware", COPPER, "copper", "Size",
     [("CC-410", "10in", 169, 1.5), ("CC-411", "12in", 199, 1.2)], 0.52, False),
    ("Copper Mixing Bowls Set of 3", "Bakeware", COPPER, "copper, baking", "Title",
     [("CC-420", "Default Title", 89, 3)], 0.5, False),
    ("Copper Measuring Cups", "Bakeware", COPPER, "copper, baking", "Title",
     [("CC-425", "Default Title", 39, 4)], 0.53, False),
    ("Olive Wood Spoon Set", "Utensils", COPPER, "wood, utensils", "Title",
     [("CC-430", "Default Title", 19, 8)], 0.67, True),
    ("Olive Wood Cutting Board", "Utensils", COPPER, "wood", "Size",
     [("CC-440", "Small", 39, 4), ("CC-441", "Medium", 59, 4), ("CC-442", "Large", 79, 3)], 0.5, False),
    ("Stoneware Utensil Crock", "Utensils", COPPER, "stoneware", "Colour",
     [(f"CC-{450 + i}", c, 32, 2) for i, c in enumerate(("Cream", "Forest", "Slate"))], 0.54, False),
    ("Marble Salt Cellar", "Utensils", COPPER, "marble", "Title",
     [("CC-460", "Default Title", 28, 3)], 0.55, False),
    ("Glass Kettle", "Kettles", COPPER, "glass, tea", "Colour",
     [("GK-148", "Clear", 59, 4), ("GK-149", "Smoke", 64, 3), (GLASS_KETTLE_BLUE, "Blue", 64, 4.5),
      ("GK-151", "Amber", 64, 3)], 0.49, False),
    ("Gooseneck Kettle", "Kettles", COPPER, "coffee, tea", "Finish",
     [("GK-160", "Matte Black", 89, 4), ("GK-161", "Copper", 99, 3), ("GK-162", "Brushed Steel", 89, 3)], 0.5, False),
    ("Cold Brew Maker", "Coffee", COPPER, "coffee, summer", "Title",
     [(COLD_BREW, "Default Title", 45, 0)], 0.48, False),
    ("Cold Brew Filters 10-Pack", "Coffee", COPPER, "coffee", "Title",
     [("CB-501", "Default Title", 14, 6)], 0.68, True),
    ("Pour-Over Dripper", "Coffee", COPPER, "coffee", "Material",
     [("CB-510", "Ceramic White", 34, 4), ("CB-511", "Ceramic Black", 34, 3), ("CB-512", "Glass", 29, 3)], 0.5, False),
    ("French Press", "Coffee", COPPER, "coffee", "Size",
     [("CB-520", "3 cup", 39, 3), ("CB-521", "8 cup", 49, 4)], 0.52, False),
    ("Coffee Canister", "Storage", COPPER, "coffee, storage", "Colour",
     [(f"CB-{530 + i}", c, 29, 2.5) for i, c in enumerate(("Cream", "Forest", "Slate"))], 0.55, False),
    ("Tea Infuser Mug", "Drinkware", COPPER, "tea", "Colour",
     [(f"CB-{540 + i}", c, 26, 2.5) for i, c in enumerate(("Cream", "Sage", "Charcoal"))], 0.56, False),
    ("Stoneware Mug Set of 2", "Drinkware", COPPER, "stoneware, gift", "Colour",
     [(f"CB-{550 + i}", c, 38, 3) for i, c in enumerate(("Cream", "Forest", "Cherry", "Slate", "Speckle"))],
     0.53, False),
    ("Stoneware Dinner Plates Set of 4", "Tableware", COPPER, "stoneware", "Colour",
     [(f"CB-{560 + i}", c, 78, 2) for i, c in enumerate(("Cream", "Forest", "Slate", "Speckle"))], 0.52, False),
    ("Stoneware Bowls Set of 4", "Tableware", COPPER, "stoneware", "Colour",
     [(f"CB-{570 + i}", c, 68, 2) for i, c in enumerate(("Cream", "Forest", "Slate", "Speckle"))], 0.52, False),
    ("Linen Apron", "Textiles", LINEN, "linen, apron", "Colour",
     [(LINEN_APRON_SAGE, "Sage", 42, 0), ("LA-221", "Natural", 42, 4), ("LA-222", "Charcoal", 42, 4),
      ("LA-223", "Rust", 42, 3), ("LA-224", "Navy", 42, 3)], 0.5, False),
    ("Canvas Chef's Apron", "Textiles", LINEN, "canvas, apron", "Colour",
     [(f"LA-{225 + i}", c, 36, 2) for i, c in enumerate(("Natural", "Olive", "Black"))], 0.52, False),
    ("Linen Tea Towels Set of 2", "Textiles", LINEN, "linen", "Colour",
     [(f"LT-{230 + i}", c, 24, 5) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust", "Stripe"))],
     0.66, True),
    ("Linen Napkins Set of 4", "Table Linen", LINEN, "linen, table", "Colour",
     [(f"LN-{240 + i}", c, 38, 3) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust", "Blush", "Navy"))],
     0.5, False),
    ("Linen Tablecloth", "Table Linen", LINEN, "linen, table", "Style",
     [(f"LN-{250 + i}", f"{size} / {c}", price, 1.5)
      for i, (size, price, c) in enumerate(
          (s, p, c) for s, p in (("60x90", 89), ("60x120", 109)) for c in ("Natural", "Sage", "Charcoal", "Blush"))],
     0.49, False),
    ("Linen Table Runner", "Table Linen", LINEN, "linen, table", "Colour",
     [(f"LN-{260 + i}", c, 44, 2) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust"))], 0.51, False),
    ("Waffle Hand Towel", "Textiles", LINEN, "cotton, bath", "Colour",
     [(f"LT-{270 + i}", c, 18, 4) for i, c in enumerate(("White", "Sage", "Sand", "Charcoal", "Blush"))], 0.67, True),
    ("Quilted Oven Mitt", "Textiles", LINEN, "cotton, kitchen", "Colour",
     [(f"LA-{280 + i}", c, 16, 4) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust"))], 0.65, True),
    ("Pot Holder Set of 2", "Textiles", LINEN, "cotton, kitchen", "Colour",
     [(f"LA-{285 + i}", c, 14, 3.5) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust"))], 0.66, True),
    ("Linen Bread Bag", "Storage", LINEN, "linen, baking", "Colour",
     [(f"LN-{290 + i}", c, 22, 2.5) for i, c in enumerate(("Natural", "Sage", "Charcoal"))], 0.56, False),
    ("Linen Placemats Set of 4", "Table Linen", LINEN, "linen, table", "Colour",
     [(f"LN-{300 + i}", c, 42, 2) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust", "Navy"))],
     0.52, False),
    ("Cotton Dish Cloths Set of 3", "Textiles", LINEN, "cotton, kitchen", "Colour",
     [(f"LT-{306 + i}", c, 15, 5) for i, c in enumerate(("Natural", "Sage", "Stripe"))], 0.68, True),
    ("Linen Pillowcase Pair", "Bedding", LINEN, "linen, bedroom", "Colour",
     [(f"LN-{310 + i}", c, 58, 2) for i, c in enumerate(("White", "Natural", "Sage", "Charcoal", "Blush", "Navy"))],
     0.5, False),
    ("Linen Throw Blanket", "Bedding", LINEN, "linen, cozy", "Colour",
     [(f"LN-{320 + i}", c, 98, 2) for i, c in enumerate(("Natural", "Sage", "Charcoal", "Rust"))], 0.49, False),
    ("Soy Candle", "Candles", LINEN, "candle, cozy, gift", "Style",
     [(f"LN-{330 + i}", f"{scent} / {size}", price, 2.5)
      for i, (scent, size, price) in enumerate(
          (sc, sz, p) for sc in ("Pine", "Cedar", "Fireside", "Fig", "Spruce")
          for sz, p in (("8oz", 28), ("14oz", 42)))],
     0.45, False),
]  # fmt: skip


def _slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower().replace("'", "")).strip("-").replace("--", "-")


def _build() -> list[VariantSpec]:
    variants: list[VariantSpec] = []
    for title, product_type, supplier, tags, option_name, rows, cost_ratio, value_item in _PRODUCTS:
        for sku, option_value, price, weight in rows:
            price_d = _money(price)
            variants.append(
                VariantSpec(
                    sku=sku,
                    handle=_slug(title),
                    product_title=title,
                    option_name=option_name,
                    option_value=option_value,
                    price=price_d,
                    cost=_money(price_d * Decimal(str(cost_ratio))),
                    # A few lines are "on sale" against a higher list price, as shops do.
                    compare_at=_money(price_d * Decimal("1.25")) if product_type == "Candles" else None,
                    supplier=supplier,
                    product_type=product_type,
                    tags=tags,
                    weight=weight,
                    value_item=value_item,
                )
            )
    return variants


CATALOG: list[VariantSpec] = _build()
BY_SKU: dict[str, VariantSpec] = {v.sku: v for v in CATALOG}
assert len(BY_SKU) == len(CATALOG), "a SKU is used twice in the demo catalogue"

# Campaigns: (name, channel, daily budget, share of the budget spent, ROAS, CTR, CPM, promoted SKUs).
CAMPAIGNS: list[tuple[str, str, int, float, float, float, float, list[str]]] = [
    ("Spring Glow - Prospecting", "meta", 140, 0.95, 2.9, 0.011, 11.0, ["LN-240", "LN-241", "LN-250", "LN-260"]),
    ("Cozy Nights - Video", "meta", 150, 0.82, 2.8, 0.014, 9.5, ["LN-330", "LN-334", "LN-320"]),
    ("Hearth Pot - Always On", "meta", 190, 0.985, 4.8, 0.016, 12.0, [SKILLET_10]),
    ("Linen Lookbook - Carousel", "meta", 110, 0.8, 2.6, 0.009, 10.0, ["LA-221", "LA-222", "LN-300"]),
    ("Winter Warmers - Catalog", "meta", 120, 0.8, 3.0, 0.012, 10.5, ["LN-332", "LN-321"]),
    ("Evergreen - Retargeting", "google", 120, 0.985, 6.2, 0.045, 22.0, ["HP-201", "HP-202", "HP-221"]),
    ("Brand Search - Hearth & Pine", "google", 80, 0.72, 4.4, 0.085, 30.0, []),
    ("Shopping - Cookware", "google", 140, 0.84, 3.4, 0.021, 16.0, ["HP-103", "HP-105", "HP-320", "CC-402"]),
    ("Kitchen Hacks - Spark Ads", "tiktok", 160, 0.83, 2.2, 0.0085, 7.5, ["GK-160", "CC-440"]),
    ("Morning Ritual - UGC", "tiktok", 130, 0.78, 2.4, 0.0095, 7.0, ["CB-510", "CB-550"]),
]
SPRING_GLOW = "Spring Glow - Prospecting"
COZY_NIGHTS = "Cozy Nights - Video"
HEARTH_POT = "Hearth Pot - Always On"
EVERGREEN = "Evergreen - Retargeting"
WINTER_WARMERS = "Winter Warmers - Catalog"  # paused 60 days before the end of history
CAMPAIGN_AOV = {"meta": 78.0, "google": 96.0, "tiktok": 52.0}
