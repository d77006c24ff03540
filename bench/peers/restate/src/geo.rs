//! Distances on the earth, the same formula as the nubes application's
//! (`examples/hotel/src/geo.rs`), so both rank hotels alike: the great-circle (haversine)
//! distance on a sphere of the earth's mean radius.

use crate::model::GeoPoint;

/// The earth's mean radius in kilometres (IUGG).
const EARTH_RADIUS_KM: f64 = 6_371.008_8;

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

    #[test]
    fn lisbon_to_porto() {
        let lisbon = GeoPoint {
            lat: 38.7223,
            lon: -9.1393,
        };
        let porto = GeoPoint {
            lat: 41.1579,
            lon: -8.6291,
        };
        assert!((distance_km(&lisbon, &porto) - 274.3).abs() < 0.1);
        assert!(!is_valid_point(&GeoPoint {
            lat: 91.0,
            lon: 0.0
        }));
    }
}
