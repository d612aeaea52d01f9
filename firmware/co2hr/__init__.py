# co2hr: controller firmware for a transcritical CO2 heat-recovery rig.
VERSION = "0.1.0"
