"""F2's pure arithmetic: the haversine distance against hand-computed values, and the route's legs."""

import math

import pytest

from sales_process.domain.check_in import EARTH_RADIUS_M, distance_m, legs, valid_coordinates

DEGREE_M = EARTH_RADIUS_M * math.pi / 180  # 111,195.08 m: one degree of a great circle


def test_along_a_meridian_the_distance_is_r_times_the_angle():
	assert distance_m(31.2304, 121.4737, 31.2314, 121.4737) == pytest.approx(0.001 * DEGREE_M, abs=1e-6)
	assert distance_m(0, 0, 1, 0) == pytest.approx(111_195.08, abs=0.01)


def test_along_the_equator_and_at_a_latitude():
	assert distance_m(0, 0, 0, 1) == pytest.approx(DEGREE_M, abs=1e-6)
	# 0.01° of longitude at 60° N: a parallel of radius R·cos 60° = R/2, so 555.98 m (the great
	# circle is shorter than the parallel by less than a millimetre over this distance)
	assert distance_m(60, 10, 60, 10.01) == pytest.approx(0.01 * DEGREE_M / 2, abs=0.001)


def test_antipodes_and_the_same_point():
	assert distance_m(31.2, 121.4, 31.2, 121.4) == 0
	assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)
	assert distance_m(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_legs_measure_each_stop_from_the_one_before():
	stops = [
		{"latitude": 31.2304, "longitude": 121.4737},
		{"latitude": 31.2314, "longitude": 121.4737},
		{"latitude": 31.2404, "longitude": 121.4737},
	]
	assert [s["leg"] for s in legs(stops)] == [None, round(0.001 * DEGREE_M), round(0.009 * DEGREE_M)]
	assert [s["leg"] for s in legs(stops)] == [None, 111, 1001]


@pytest.mark.parametrize(
	"lat, lon, ok",
	[(0, 0, True), (90, 180, True), (-90, -180, True), (90.1, 0, False), (0, 180.1, False),
	 ("31.2", "121.4", True), ("x", 0, False), (float("nan"), 0, False), (True, 0, False), (None, 0, False)],
)  # fmt: skip
def test_valid_coordinates(lat, lon, ok):
	assert valid_coordinates(lat, lon) is ok
