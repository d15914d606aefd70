"""Places on the map: great-circle distances and the grid cells that become graph nodes."""

import numpy as np
import torch

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius


def haversine_km(lat1, lng1, lat2, lng2):
    """Great-circle distance in km between points given in degrees; numpy arrays or torch tensors.

    Inputs broadcast against each other. A NaN coordinate gives a NaN distance.
    """
    module = torch if isinstance(lat1, torch.Tensor) else np
    lat1, lng1, lat2, lng2 = (module.deg2rad(value) for value in (lat1, lng1, lat2, lng2))
    a = module.sin((lat2 - lat1) / 2) ** 2 + module.cos(lat1) * module.cos(lat2) * module.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * module.arcsin(module.sqrt(module.clip(a, 0.0, 1.0)))


def grid_cell_centre(name: str, cell_size_degrees: float) -> tuple[float, float]:
    """Return (lat, lng) of the centre of the grid cell called `name`."""
    south, west = (float(part) for part in name.removeprefix("grid:").split(","))
    return south + cell_size_degrees / 2, west + cell_size_degrees / 2


def province_cell_name(province: str) -> str:
    return f"province:{province}"
