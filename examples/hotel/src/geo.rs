//! Distances on the earth between [`GeoPoint`]s: the great-circle (haversine) distance
//! on a sphere of the earth's mean radius, good to about 0.5 % — plenty to rank hotels.

use hotel_model::GeoPoint;

/// The earth's mean radius in kilometres (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// True when `point` has a finite latitude in [-90, 90] and longitude in [-180, 180].
pub fn is_valid_point(point: &GeoPoint) -> bool {
    point.lat.is_finite()
        && point.lon.is_finite()
        && (-90.0..=90.0).contains(&point.lat)
        && (-180.0..=180.0).contains(&point.lon)
}

/// The great-circle distance from `a` to `b` in kilometres (haversine formula).
pub fn distance_km(a: &GeoPoint, b: &GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    // Rounding can push `h` a hair past 1 for antipodal points.
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint { lat, lon }
    }

    #[test]
    fn known_distances() {
        let lisbon = point(38.7223, -9.1393);
        let porto = point(41.1579, -8.6291);
        assert!((distance_km(&lisbon, &porto) - 274.3).abs() < 0.1);
        assert_eq!(distance_km(&lisbon, &lisbon), 0.0);
        // Across the antimeridian: one degree of the equator, not 359.
        let east = point(0.0, 179.5);
        let west = point(0.0, -179.5);
        assert!((distance_km(&east, &west) - 111.195).abs() < 0.01);
        // Pole to pole: half the circumference.
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!((distance_km(&point(90.0, 0.0), &point(-90.0, 0.0)) - half).abs() < 1e-6);
    }

    #[test]
    fn points_must_be_on_the_earth() {
        assert!(is_valid_point(&point(38.7, -9.1)));
        assert!(is_valid_point(&point(-90.0, 180.0)));
        assert!(!is_valid_point(&point(90.5, 0.0)));
        assert!(!is_valid_point(&point(0.0, -181.0)));
        assert!(!is_valid_point(&point(f64::NAN, 0.0)));
        assert!(!is_valid_point(&point(0.0, f64::INFINITY)));
    }
}
