"""The chart of product reviews (Vega-Lite through Altair): each product's approved reviews by stars."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt

from omnicx.commerce.schemas import ProductRating
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext


def ratings_chart_spec(ratings: Iterable[ProductRating]) -> dict[str, Any]:
    """One stacked bar per product, its approved reviews split by stars (red one star, green five), best
    average on top; the average and count in the tooltip."""
    rated = [rating for rating in ratings if rating.count]
    if not rated:
        return empty_chart(gettext("No approved reviews yet."))
    values = [
        {
            "product": rating.product,
            "stars": stars,
            "reviews": count,
            "average": rating.average,
            "total": rating.count,
        }
        for rating in rated
        for stars, count in enumerate(rating.spread, 1)
        if count
    ]
    order = [r.product for r in sorted(rated, key=lambda r: (-(r.average or 0), r.product))]
    reviews, average = gettext("Reviews"), gettext("Average rating")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("product:N", title=None, sort=order),
            x=alt.X("reviews:Q", title=reviews, stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "stars:O",
                title=gettext("Stars"),
                scale=alt.Scale(scheme="redyellowgreen", domain=[1, 2, 3, 4, 5]),
            ),
            order=alt.Order("stars:O", sort="descending"),
            tooltip=[
                alt.Tooltip("product:N", title=gettext("Product")),
                alt.Tooltip("stars:O", title=gettext("Stars")),
                alt.Tooltip("reviews:Q", title=reviews),
                alt.Tooltip("average:Q", title=average, format=".2f"),
                alt.Tooltip("total:Q", title=gettext("Approved reviews")),
            ],
        )
        .properties(width="container", height=max(120, 28 * len(rated)))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
