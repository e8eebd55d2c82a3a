"""Reports: SLA, satisfaction, the weekly digest and open data."""
