from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import maxminddb
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet


@pytest.fixture
def geoip(tmp_path: Path) -> Iterator[maxminddb.Reader]:
    """A real MaxMind-format database, written for the test and opened the way the worker does."""
    writer = MMDBWriter(
        ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country", languages=["en"]
    )
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"country": {"iso_code": "jp"}})
    # Satellite providers are listed with only a registered country.
    writer.insert_network(IPSet(["192.0.2.0/24"]), {"registered_country": {"iso_code": "CA"}})
    # Old databases mark anonymous proxies with a pseudo country.
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "A1"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    reader = maxminddb.open_database(str(path))
    yield reader
    reader.close()
