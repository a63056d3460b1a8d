"""``layergraph pretrained list`` and ``layergraph pretrained download NAME`` (a plugin of layergraph.cli).

    layergraph pretrained list                 each network, its weight file and whether it is cached
    layergraph pretrained download NAME [--url URL]
                                               fetch the weight file into torch.hub's checkpoints cache
"""

from __future__ import annotations

import sys

from ...errors import LayerGraphError


def _list(args) -> int:
    from .catalog import NETWORKS
    from .weights import cache_dir

    folder = cache_dir()
    print(f"Pretrained weight cache: {folder}")
    print(f"{'Network':<14}{'Input':<14}{'Params (M)':>11}  {'Weights':<9}{'File':<34}Status")
    for name, info in NETWORKS.items():
        size = "×".join(str(s) for s in info.input_size)
        if info.weight_file is None:
            file, status = "-", "no public weight file"
        else:
            file = info.weight_file
            status = "cached" if (folder / file).is_file() else "not downloaded"
        print(f"{name:<14}{size:<14}{info.parameters_millions:>11}  {info.correspondence:<9}{file:<34}{status}")
    return 0


def _download(args) -> int:
    from .catalog import network_info
    from .weights import PretrainedWeightsError, download

    try:
        info = network_info(args.name)
        if info.weight_file is None:
            raise PretrainedWeightsError(f"{info.name}: no public weight file computes MATLAB's {info.name}. {info.note}")
        path = download(info.name, info.weight_file, args.url or info.weight_url)
    except LayerGraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{info.name}: saved {path}")
    return 0


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("pretrained", help="list or download pretrained network weights")
    sub = parser.add_subparsers(dest="pretrained_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="show the networks, their weight files and what is cached")
    p.set_defaults(func=_list)
    p = sub.add_parser("download", help="download a network's weight file into the torch.hub cache")
    p.add_argument("name", help="network name, e.g. resnet18")
    p.add_argument("--url", help="download from this URL instead of the published one (mirrors, tests)")
    p.set_defaults(func=_download)
