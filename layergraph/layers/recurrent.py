"""recurrent layers (see DESIGN.md: one class per MATLAB layer, registered with @register)."""

from __future__ import annotations

