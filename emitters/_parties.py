"""N1/N3/N4 for a party on a shipment or invoice: the one way the 856 and 810 write one."""

from __future__ import annotations

from gateway.model.outbound import Place
from partners import PartnerProfile

from ._envelope import Segment
from ._envelope import echo


def place_segments(place: Place, partner: PartnerProfile) -> list[Segment]:
    """N1 with the id when both qualifier and id are known, then N3 and N4 where there is an address."""
    n1 = ["N1", place.role, echo(place.name, partner, 60)]
    if place.id and place.id_qualifier:
        n1 += [place.id_qualifier, echo(place.id, partner, 80)]
    segments: list[Segment] = [n1]
    if place.address:
        segments.append(["N3", *(echo(line, partner, 55) for line in place.address[:2])])
    if place.city or place.state or place.postal_code:
        n4 = [
            echo(place.city, partner, 30),
            echo(place.state, partner, 2),
            echo(place.postal_code, partner, 15),
        ]
        if place.country:
            n4.append(echo(place.country, partner, 3))
        segments.append(["N4", *n4])
    return segments
