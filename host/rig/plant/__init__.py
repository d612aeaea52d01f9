"""Host-side physical model of the CO2 heat-recovery rig.

Plant (dynamic, lumped volumes) + cycle (steady-state calculator); components in their
own modules; CO2 properties from CoolProp through props.
"""

from . import cycle, profiles, props
from .model import Actuators, Boundary, Faults, Plant, PlantParams, PlantState

__all__ = ["Plant", "PlantParams", "PlantState", "Actuators", "Boundary", "Faults", "cycle",
           "profiles", "props"]
