"""How much of the 52-project programme the catalogue identifies: figures that follow the data.

No number lives in a template: the programme's size comes from its sourced figure, the counts
from the catalogue, so an import or an editor's change moves them.
"""

from dataclasses import dataclass

from .models import PROGRAMME_PROJECT_COUNT, ProgrammeFigure, ProgrammeTie, Project, Region, Sector

# A source places these in the programme list, or on an earlier version of it.
TIED = (ProgrammeTie.OFFICIAL, ProgrammeTie.EARLIER_LIST)
# The programme's nine sectors (its official breakdown); "other" is the catalogue's own.
PROGRAMME_SECTORS = [sector for sector in Sector if sector != Sector.OTHER]
# Today's regions; the pre-2018 South Kazakhstan region is only kept for sources that name it.
CURRENT_REGIONS = [region for region in Region if region != Region.SOUTH_KAZAKHSTAN]


@dataclass
class Coverage:
    programme_total: int
    programme_figure: ProgrammeFigure | None
    identified: int  # every project in the catalogue
    by_tie: list[tuple[ProgrammeTie, int]]
    tied: int  # placed in the list, or an earlier one, by a source
    reported: int  # a reported link only
    unidentified: int  # the programme's items no source-tied project accounts for (approximate)
    sectors_missing: list[Sector]  # no project at all
    sectors_reported_only: list[Sector]  # only reported links
    regions_missing: list[Region]  # no project tied by a source


def programme_coverage() -> Coverage:
    figure = ProgrammeFigure.objects.filter(key="programme_projects").first()
    total = int(figure.value) if figure else PROGRAMME_PROJECT_COUNT
    tie_counts = Project.objects.count_by("programme_tie")
    tied = sum(tie_counts.get(tie, 0) for tie in TIED)
    all_sectors = Project.objects.count_by("sector")
    tied_sectors = Project.objects.filter(programme_tie__in=TIED).count_by("sector")
    tied_regions = Project.objects.filter(programme_tie__in=TIED).count_by("region")
    return Coverage(
        programme_total=total,
        programme_figure=figure,
        identified=sum(tie_counts.values()),
        by_tie=[(tie, tie_counts.get(tie.value, 0)) for tie in ProgrammeTie],
        tied=tied,
        reported=tie_counts.get(ProgrammeTie.REPORTED, 0),
        unidentified=max(total - tied, 0),
        sectors_missing=[sector for sector in PROGRAMME_SECTORS if not all_sectors.get(sector.value)],
        sectors_reported_only=[
            sector
            for sector in PROGRAMME_SECTORS
            if all_sectors.get(sector.value) and not tied_sectors.get(sector.value)
        ],
        regions_missing=[region for region in CURRENT_REGIONS if not tied_regions.get(region.value)],
    )
