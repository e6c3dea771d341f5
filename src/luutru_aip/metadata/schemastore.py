"""The schema store: pinned official XSDs in a user folder, resolved offline.

The library never ships copies of the standard XML Schemas (METS 1.12.1,
XLink, xml.xsd, EAD3 1.1.1, EAD 2002, PREMIS 3.0, the E-ARK/DILCIS CSIP and SIP
METS extensions). Instead it keeps a *store* (design.md, "Standard XML
schemas"):

* a folder, by default ``$XDG_DATA_HOME/luutru-aip/schemas`` (else
  ``~/.local/share/luutru-aip/schemas``), overridable with the environment
  variable ``LUUTRU_AIP_SCHEMA_DIR``;
* holding only files whose sha256 equals a pin in the package's
  ``data/schemastore/pins.toml`` (matched by hash, never by name), installed
  from a local folder (air-gapped sites) or downloaded from the official URLs;
* plus an OASIS XML Catalog (``catalog.xml``, OASIS XML Catalogs 1.1) that
  maps the official URLs and namespace names to the stored files, so
  ``xmllint --catalogs --nonet`` sees exactly what lxml sees, and a small
  ``manifest.json``.

Schemas are compiled through :meth:`SchemaStore.resolver`, an lxml resolver
that serves only pinned URLs from the store (re-checking each file's hash) and
refuses everything else, so no network and no arbitrary file is ever read. To
check E-ARK extension attributes (``csip:OAISPACKAGETYPE``) or PREMIS / EAD
wrapped in ``mets:xmlData`` (METS admits them with ``processContents="lax"``),
:meth:`SchemaStore.compile_driver` compiles a small driver schema that
``xs:import``\\ s several schemas into one set.

Validation results are findings (``data/rules/schema.toml``): ``SCH001``
schema not installed, ``SCH002`` a package-carried schema matching no pin,
``SCH003`` a document invalid against a schema (XSD 1.0 Part 1 §5.2),
``SCH004`` a corrupt installed schema, ``SCH005`` further errors not listed.
"""

from __future__ import annotations

import enum
import hashlib
import http.client
import json
import os
import stat
import threading
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs
from lxml import etree

from luutru_aip._fs.atomic import atomic_file
from luutru_aip.errors import (
    InputError,
    NetworkUnavailableError,
    SchemaHashMismatchError,
    SchemaMissingError,
    SchemaStoreError,
)
from luutru_aip.findings import Finding, finding
from luutru_aip.metadata._xml import parse_xml

__all__ = [
    "EARK_METS",
    "EARK_METS_WITH_METADATA",
    "ENV_SCHEMA_DIR",
    "InstallResult",
    "InstalledSchema",
    "Pin",
    "RefusedFile",
    "SchemaPin",
    "SchemaState",
    "SchemaStatus",
    "SchemaStore",
    "StoreResolver",
    "accept_package_schema",
    "default_store_root",
    "identify_schema",
    "pins",
    "validate_with",
]

ENV_SCHEMA_DIR: Final = "LUUTRU_AIP_SCHEMA_DIR"
CATALOG_NAME: Final = "catalog.xml"
MANIFEST_NAME: Final = "manifest.json"
_CATALOG_NS: Final = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
_XS_NS: Final = "http://www.w3.org/2001/XMLSchema"
#: No pinned schema is anywhere near this size; bigger files are not even hashed.
MAX_SCHEMA_BYTES: Final = 16 * 1024 * 1024
#: Default cap on SCH003 findings per document before one SCH005 summary.
DEFAULT_MAX_ERRORS: Final = 100
_INSTALL_HINT: Final = "luutru-aip schemas install --from DIR (air-gapped sites) or --download"

#: METS with the E-ARK CSIP and SIP extension attributes checked.
EARK_METS: Final = ("mets", "dilcis-csip", "dilcis-sip")
#: As :data:`EARK_METS`, plus PREMIS 3 and EAD3 so metadata wrapped in ``mets:xmlData`` is checked.
EARK_METS_WITH_METADATA: Final = ("mets", "dilcis-csip", "dilcis-sip", "premis3", "ead3")


# --------------------------------------------------------------------------- pins


@attrs.frozen(kw_only=True)
class Pin:
    """One accepted official sha256 of a schema, with where it comes from."""

    sha256: str
    label: str


@attrs.frozen(kw_only=True)
class SchemaPin:
    """One supported standard schema, as listed in ``data/schemastore/pins.toml``."""

    name: str
    title: str
    file: str
    namespace: str
    urls: tuple[str, ...]
    download: tuple[str, ...]
    imports: tuple[str, ...]
    pins: tuple[Pin, ...]

    @property
    def url(self) -> str:
        """The canonical official URL (base URL for compilation and the driver's imports)."""
        return self.urls[0]

    def pin_for(self, sha256: str) -> Pin | None:
        return next((p for p in self.pins if p.sha256 == sha256), None)

    def pin_rank(self, sha256: str) -> int | None:
        """0 for the preferred pin, 1, 2 … for alternatives, ``None`` for no match."""
        return next((i for i, p in enumerate(self.pins) if p.sha256 == sha256), None)


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _normalise_url(url: str) -> str:
    """Lower-case scheme and host (they are case-insensitive); keep the path as is."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url.strip()
    return urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def _load_pins(text: str, source: str) -> tuple[SchemaPin, ...]:
    data = tomllib.loads(text)
    if data.get("format") != 1:
        raise SchemaStoreError(f"{source}: unsupported pins format {data.get('format')!r}")
    out: list[SchemaPin] = []
    for raw in data.get("schema", []):
        try:
            pin = SchemaPin(
                name=str(raw["name"]),
                title=str(raw["title"]),
                file=str(raw["file"]),
                namespace=str(raw["namespace"]),
                urls=tuple(str(u) for u in raw["urls"]),
                download=tuple(str(u) for u in raw.get("download", ())),
                imports=tuple(str(n) for n in raw.get("imports", ())),
                pins=tuple(Pin(sha256=str(p["sha256"]).lower(), label=str(p["label"])) for p in raw["pin"]),
            )
        except KeyError as exc:
            raise SchemaStoreError(f"{source}: a schema entry lacks the key {exc.args[0]!r}") from None
        if not pin.urls or not pin.pins or any(not _is_sha256(p.sha256) for p in pin.pins):
            raise SchemaStoreError(f"{source}: schema {pin.name!r} needs urls and full sha256 pins")
        if "/" in pin.file or pin.file.startswith(".") or pin.file in (CATALOG_NAME, MANIFEST_NAME):
            raise SchemaStoreError(f"{source}: schema {pin.name!r} has an unsafe file name {pin.file!r}")
        out.append(pin)
    names = [p.name for p in out]
    files = [p.file for p in out]
    hashes = [h.sha256 for p in out for h in p.pins]
    keys = [k for p in out for k in {_normalise_url(u) for u in (*p.urls, p.namespace)}]
    for label, values in (("name", names), ("file", files), ("sha256", hashes), ("URL", keys)):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise SchemaStoreError(f"{source}: schema {label} {twice[0]!r} is listed for two schemas")
    for p in out:
        for dep in p.imports:
            if dep not in names:
                raise SchemaStoreError(f"{source}: schema {p.name!r} imports unknown schema {dep!r}")
    return tuple(out)


@cache
def pins() -> tuple[SchemaPin, ...]:
    """The packaged pin table, read once."""
    entry = resources.files("luutru_aip").joinpath("data", "schemastore", "pins.toml")
    return _load_pins(entry.read_text(encoding="utf-8"), "pins.toml")


def _by_hash(table: Sequence[SchemaPin]) -> dict[str, SchemaPin]:
    return {p.sha256: s for s in table for p in s.pins}


def identify_schema(data: bytes, *, table: Sequence[SchemaPin] | None = None) -> SchemaPin | None:
    """The pinned schema whose sha256 equals that of ``data``, or ``None``."""
    return _by_hash(pins() if table is None else table).get(hashlib.sha256(data).hexdigest())


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def default_store_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$LUUTRU_AIP_SCHEMA_DIR``, else ``$XDG_DATA_HOME/luutru-aip/schemas``, else ``~/.local/share/…``."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_SCHEMA_DIR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "luutru-aip" / "schemas"


# --------------------------------------------------------------------------- results


class SchemaState(enum.Enum):
    """State of one pinned schema in a store."""

    INSTALLED = "installed"
    MISSING = "missing"
    CORRUPT = "corrupt"


@attrs.frozen(kw_only=True)
class SchemaStatus:
    """One line of ``schemas list``: a pinned schema and the state of its stored copy."""

    name: str
    title: str
    file: str
    path: Path
    state: SchemaState
    sha256: str | None = None
    pin: Pin | None = None
    alternative: bool = False

    @property
    def ok(self) -> bool:
        return self.state is SchemaState.INSTALLED


@attrs.frozen(kw_only=True)
class InstalledSchema:
    """A schema file put into (or found already in) the store."""

    name: str
    file: str
    sha256: str
    source: str
    pin: Pin


@attrs.frozen(kw_only=True)
class RefusedFile:
    """A candidate file that was not installed, and why."""

    source: str
    reason: str
    sha256: str | None = None


@attrs.frozen(kw_only=True)
class InstallResult:
    """What :meth:`SchemaStore.install_from` / :meth:`SchemaStore.install_download` did.

    ``rejected`` holds files that look like a pinned schema (same file name, or
    an ``.xsd`` file) but fail the hash check, and failed downloads;
    ``ignored`` holds other files and duplicates.
    """

    root: Path
    installed: tuple[InstalledSchema, ...] = ()
    unchanged: tuple[InstalledSchema, ...] = ()
    rejected: tuple[RefusedFile, ...] = ()
    ignored: tuple[RefusedFile, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every pinned schema is now installed."""
        return not self.missing


# --------------------------------------------------------------------------- resolver


class StoreResolver(etree.Resolver):
    """Serves pinned official URLs (and namespace names) from the store; refuses everything else.

    Each served file's sha256 is checked against its pins at the moment it is
    read. Refused requests are kept in :attr:`refused` so callers can name them.
    """

    def __init__(self, store: SchemaStore) -> None:
        super().__init__()
        self._store = store
        self.refused: list[str] = []
        self.served: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        url = system_url or public_id or ""
        schema = self._store.lookup_url(url)
        if schema is None:
            self.refused.append(url)
            raise SchemaStoreError(f"refused to load {url!r}: not a pinned official schema URL")
        data = self._store.read_verified(schema)
        self.served.append(url)
        return self.resolve_string(data, context, base_url=schema.url)


# --------------------------------------------------------------------------- the store


def _atomic_write(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically (see :func:`luutru_aip._fs.atomic_file`)."""
    with atomic_file(dest, "wb", overwrite=True) as handle:
        handle.write(data)


def _read_schema_file(path: Path) -> bytes | None:
    """The bytes of a regular file of at most :data:`MAX_SCHEMA_BYTES`, else ``None``.

    Raises :class:`OSError` when the file cannot be opened or read.

    Checked on the open descriptor (no FIFO or device can block or feed endless
    data, and a file growing after the check is still read only up to the limit).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_SCHEMA_BYTES:
            return None
        data = handle.read(MAX_SCHEMA_BYTES + 1)
    return data if len(data) <= MAX_SCHEMA_BYTES else None


Fetcher = Callable[[str, float], bytes]


def _urllib_fetch(url: str, timeout: float) -> bytes:
    """GET ``url`` (http/https only) and return at most :data:`MAX_SCHEMA_BYTES` bytes."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise SchemaStoreError(f"refusing to download {url!r}: only http(s) URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "luutru-aip schema installer"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        data: bytes = response.read(MAX_SCHEMA_BYTES + 1)
    if len(data) > MAX_SCHEMA_BYTES:
        raise SchemaStoreError(f"{url}: response larger than {MAX_SCHEMA_BYTES} bytes")
    return data


_THREAD_CACHE = threading.local()


class SchemaStore:
    """A folder of pinned official XSDs with its catalog (see the module docstring)."""

    def __init__(self, root: Path | str | None = None, *, table: Sequence[SchemaPin] | None = None) -> None:
        self.root: Path = default_store_root() if root is None else Path(root)
        self.table: tuple[SchemaPin, ...] = pins() if table is None else tuple(table)
        self._by_name = {s.name: s for s in self.table}
        self._by_hash = _by_hash(self.table)
        self._by_url: dict[str, SchemaPin] = {}
        for s in self.table:
            for key in (*s.urls, s.namespace):
                self._by_url[_normalise_url(key)] = s
        self._by_file = {s.file: s for s in self.table}

    @classmethod
    def default(cls) -> SchemaStore:
        """The store at :func:`default_store_root` (``LUUTRU_AIP_SCHEMA_DIR`` or the user data folder)."""
        return cls()

    def __repr__(self) -> str:
        return f"SchemaStore({str(self.root)!r})"

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG_NAME

    # ----------------------------------------------------------------- look-ups

    def get(self, name_or_url: str) -> SchemaPin:
        """The pin for a logical name, official URL, namespace or file name.

        Raises :class:`SchemaStoreError` naming the known schemas if there is none.
        """
        schema = (
            self._by_name.get(name_or_url) or self.lookup_url(name_or_url) or self._by_file.get(name_or_url)
        )
        if schema is None:
            known = ", ".join(self._by_name)
            raise SchemaStoreError(f"unknown schema {name_or_url!r}; known schemas: {known}")
        return schema

    def lookup_url(self, url: str) -> SchemaPin | None:
        """The pinned schema an official URL or namespace name stands for, or ``None``."""
        return self._by_url.get(_normalise_url(url))

    def closure(self, names: Iterable[str]) -> tuple[SchemaPin, ...]:
        """The named schemas plus everything they import, in a stable order."""
        seen: dict[str, SchemaPin] = {}
        stack = [self.get(n) for n in names]
        while stack:
            schema = stack.pop(0)
            if schema.name in seen:
                continue
            seen[schema.name] = schema
            stack.extend(self._by_name[d] for d in schema.imports)
        return tuple(seen.values())

    def path_of(self, name: str) -> Path:
        return self.root / self.get(name).file

    # ----------------------------------------------------------------- state

    def status(self) -> list[SchemaStatus]:
        """Re-hash every stored file: installed, missing or corrupt, one entry per pinned schema."""
        out: list[SchemaStatus] = []
        for schema in self.table:
            path = self.root / schema.file
            common: dict[str, Any] = {"name": schema.name, "title": schema.title, "file": schema.file}
            if not path.is_file():
                out.append(SchemaStatus(**common, path=path, state=SchemaState.MISSING))
                continue
            try:
                digest = _sha256_file(path)
            except OSError:
                out.append(SchemaStatus(**common, path=path, state=SchemaState.CORRUPT))
                continue
            rank = schema.pin_rank(digest)
            if rank is None:
                out.append(SchemaStatus(**common, path=path, state=SchemaState.CORRUPT, sha256=digest))
            else:
                out.append(
                    SchemaStatus(
                        **common,
                        path=path,
                        state=SchemaState.INSTALLED,
                        sha256=digest,
                        pin=schema.pins[rank],
                        alternative=rank > 0,
                    )
                )
        return out

    def read_verified(self, schema: SchemaPin) -> bytes:
        """The stored bytes of ``schema`` after checking them against its pins.

        Raises :class:`SchemaMissingError` (with the install command) or
        :class:`SchemaHashMismatchError` (naming file and hashes).
        """
        path = self.root / schema.file
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SCHEMA_BYTES + 1)
        except FileNotFoundError:
            raise SchemaMissingError(
                f"schema {schema.name} ({schema.title}) is not installed in {self.root}; "
                f"run `{_INSTALL_HINT}`"
            ) from None
        except OSError as exc:
            raise SchemaStoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        digest = hashlib.sha256(data).hexdigest()
        if schema.pin_rank(digest) is None:
            expected = " or ".join(p.sha256 for p in schema.pins)
            raise SchemaHashMismatchError(
                f"{path}: sha256 {digest} matches no pin for {schema.name} (expected {expected}); "
                f"reinstall with `{_INSTALL_HINT}`"
            )
        return data

    # ----------------------------------------------------------------- install

    def install_from(self, source: Path | str) -> InstallResult:
        """Copy every file under ``source`` whose sha256 matches a pin into the store; rewrite the catalog.

        Files are recognised by hash, not by name, and stored under the
        official file name. Other files are reported, never copied.
        """
        folder = Path(source)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of schema files")
        candidates: list[tuple[str, bytes]] = []
        rejected: list[RefusedFile] = []
        ignored: list[RefusedFile] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for fname in sorted(filenames):
                path = Path(dirpath) / fname
                shown = str(path)
                try:
                    data = _read_schema_file(path)
                    if data is None:
                        ignored.append(RefusedFile(source=shown, reason="not a regular file of schema size"))
                        continue
                except OSError as exc:
                    rejected.append(RefusedFile(source=shown, reason=f"cannot read: {exc.strerror or exc}"))
                    continue
                candidates.append((shown, data))
        return self._install(candidates, rejected, ignored)

    def install_download(
        self,
        *,
        timeout: float = 30.0,
        names: Iterable[str] | None = None,
        fetch: Fetcher | None = None,
    ) -> InstallResult:
        """Download the pinned schemas from their official URLs (https first) and install those that match.

        Raises :class:`NetworkUnavailableError` when nothing could be fetched
        because the network is unreachable; air-gapped sites use
        :meth:`install_from` (``install --from DIR``) instead.
        """
        get = _urllib_fetch if fetch is None else fetch
        wanted = self.closure(names) if names is not None else self.table
        candidates: list[tuple[str, bytes]] = []
        rejected: list[RefusedFile] = []
        network_errors: list[str] = []
        for schema in wanted:
            for url in schema.download:
                try:
                    data = get(url, timeout)
                except (
                    urllib.error.URLError,
                    TimeoutError,
                    ConnectionError,
                    http.client.HTTPException,
                ) as exc:
                    reason = getattr(exc, "reason", exc)
                    if isinstance(exc, urllib.error.HTTPError):
                        rejected.append(RefusedFile(source=url, reason=f"HTTP {exc.code}"))
                    else:
                        network_errors.append(f"{url}: {reason}")
                        rejected.append(RefusedFile(source=url, reason=f"network: {reason}"))
                    continue
                except (OSError, SchemaStoreError) as exc:
                    rejected.append(RefusedFile(source=url, reason=str(exc)))
                    continue
                if self._by_hash.get(hashlib.sha256(data).hexdigest()) is schema:
                    candidates.append((url, data))
                    break
                candidates.append((url, data))  # reported as rejected by _install
        if not candidates and network_errors:
            raise NetworkUnavailableError(
                "cannot download the schemas: the network is unreachable "
                f"({network_errors[0]}). On an air-gapped site, copy the official XSD files to a "
                "folder and run `luutru-aip schemas install --from DIR`."
            )
        return self._install(candidates, rejected, [])

    def _install(
        self,
        candidates: Sequence[tuple[str, bytes]],
        rejected: list[RefusedFile],
        ignored: list[RefusedFile],
    ) -> InstallResult:
        best: dict[str, tuple[int, str, bytes, str]] = {}
        for shown, data in candidates:
            digest = hashlib.sha256(data).hexdigest()
            schema = self._by_hash.get(digest)
            if schema is None:
                ref = RefusedFile(
                    source=shown, reason="sha256 matches no pinned official schema", sha256=digest
                )
                local = "://" not in shown  # a file name may contain '#' or '?'
                named = self._by_file.get(Path(shown if local else urllib.parse.urlsplit(shown).path).name)
                if named is not None:
                    expected = " or ".join(p.sha256 for p in named.pins)
                    ref = attrs.evolve(
                        ref,
                        reason=f"named like {named.name} ({named.file}) but sha256 differs from the pin "
                        f"{expected}: modified or another version; not installed",
                    )
                    rejected.append(ref)
                elif shown.lower().endswith(".xsd"):
                    rejected.append(ref)
                else:
                    ignored.append(ref)
                continue
            rank = schema.pin_rank(digest)
            assert rank is not None
            current = best.get(schema.name)
            if current is not None and current[0] <= rank:
                ignored.append(
                    RefusedFile(
                        source=shown, reason=f"duplicate of {current[1]} ({schema.name})", sha256=digest
                    )
                )
                continue
            if current is not None:
                ignored.append(
                    RefusedFile(
                        source=current[1], reason=f"duplicate of {shown} ({schema.name})", sha256=current[3]
                    )
                )
            best[schema.name] = (rank, shown, data, digest)

        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SchemaStoreError(
                f"cannot create the schema store {self.root}: {exc.strerror or exc}"
            ) from None
        installed: list[InstalledSchema] = []
        unchanged: list[InstalledSchema] = []
        for schema in self.table:
            if schema.name not in best:
                continue
            rank, shown, data, digest = best[schema.name]
            record = InstalledSchema(
                name=schema.name, file=schema.file, sha256=digest, source=shown, pin=schema.pins[rank]
            )
            dest = self.root / schema.file
            try:
                present = _sha256_file(dest) if dest.is_file() else None
            except OSError:
                present = None
            present_rank = None if present is None else schema.pin_rank(present)
            if present_rank is not None and present_rank <= rank:
                assert present is not None
                unchanged.append(attrs.evolve(record, sha256=present, pin=schema.pins[present_rank]))
                continue
            try:
                _atomic_write(dest, data)
            except OSError as exc:
                raise SchemaStoreError(f"cannot write {dest}: {exc.strerror or exc}") from None
            installed.append(record)
        self._write_metadata(installed)
        missing = tuple(s.name for s in self.status() if not s.ok)
        return InstallResult(
            root=self.root,
            installed=tuple(installed),
            unchanged=tuple(unchanged),
            rejected=tuple(rejected),
            ignored=tuple(ignored),
            missing=missing,
        )

    def _write_metadata(self, installed: Sequence[InstalledSchema]) -> None:
        """(Re)write ``catalog.xml`` and ``manifest.json`` for the schemas present and intact."""
        statuses = [s for s in self.status() if s.ok]
        manifest_path = self.root / MANIFEST_NAME
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
        except (OSError, ValueError):
            old = {}
        previous = old.get("schemas", {}) if isinstance(old, dict) else {}
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        sources = {i.name: i.source for i in installed}
        entries: dict[str, Any] = {}
        for st in statuses:
            before = previous.get(st.name, {}) if isinstance(previous, dict) else {}
            fresh = st.name in sources or not isinstance(before, dict) or before.get("sha256") != st.sha256
            entries[st.name] = {
                "file": st.file,
                "sha256": st.sha256,
                "pin": st.pin.label if st.pin else None,
                "source": sources.get(st.name, before.get("source") if isinstance(before, dict) else None),
                "installed": now if fresh else before.get("installed"),
            }
        manifest = {"format": "luutru-aip-schemastore", "format_version": 1, "schemas": entries}
        text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            _atomic_write(self.catalog_path, self.catalog_xml({s.name for s in statuses}))
            _atomic_write(manifest_path, text.encode("utf-8"))
        except OSError as exc:
            raise SchemaStoreError(
                f"cannot write the catalog in {self.root}: {exc.strerror or exc}"
            ) from None

    def catalog_xml(self, names: Iterable[str] | None = None) -> bytes:
        """An OASIS XML Catalog mapping each schema's official URLs and namespace to its file name."""
        chosen = set(self._by_name if names is None else names)
        nsmap: Any = {None: _CATALOG_NS}
        root = etree.Element(f"{{{_CATALOG_NS}}}catalog", nsmap=nsmap)
        root.set("prefer", "system")
        root.append(etree.Comment(" Written by luutru-aip: pinned official schemas only. Do not edit. "))
        for schema in self.table:
            if schema.name not in chosen:
                continue
            root.append(etree.Comment(f" {schema.title} ({schema.namespace}) "))
            for url in schema.urls:
                etree.SubElement(root, f"{{{_CATALOG_NS}}}system", systemId=url, uri=schema.file)
            for url in (*schema.urls, schema.namespace):
                etree.SubElement(root, f"{{{_CATALOG_NS}}}uri", name=url, uri=schema.file)
        etree.indent(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def xmllint_env(self) -> dict[str, str]:
        """Environment variables that make ``xmllint --catalogs --nonet`` use this store's catalog."""
        catalog = str(self.catalog_path.absolute())
        return {"XML_CATALOG_FILES": catalog, "SGML_CATALOG_FILES": catalog}

    # ----------------------------------------------------------------- compile

    def resolver(self) -> StoreResolver:
        """A new resolver serving only pinned URLs from this store (see :class:`StoreResolver`)."""
        return StoreResolver(self)

    def driver_xsd(self, names: Iterable[str]) -> bytes:
        """A driver schema that ``xs:import``\\ s the named schemas by their official URLs."""
        root = etree.Element(f"{{{_XS_NS}}}schema", nsmap={"xs": _XS_NS})
        root.append(etree.Comment(" luutru-aip driver schema: imports official schemas by URL "))
        for schema in self.closure(names):
            etree.SubElement(
                root, f"{{{_XS_NS}}}import", namespace=schema.namespace, schemaLocation=schema.url
            )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def missing_or_corrupt(self, names: Iterable[str]) -> list[SchemaStatus]:
        """Statuses (missing or corrupt) of the named schemas and their imports that cannot be used."""
        wanted = {s.name for s in self.closure(names)}
        return [s for s in self.status() if s.name in wanted and not s.ok]

    def compile_driver(self, names: Iterable[str]) -> etree.XMLSchema:
        """Compile the named schemas (and their imports) into one :class:`lxml.etree.XMLSchema`.

        Cached per thread and store state. Raises :class:`SchemaMissingError`,
        :class:`SchemaHashMismatchError` or :class:`SchemaStoreError`.
        """
        chosen = self.closure(names)
        key = self._cache_key(chosen)
        cache_: dict[Any, etree.XMLSchema] = getattr(_THREAD_CACHE, "schemas", None) or {}
        _THREAD_CACHE.schemas = cache_
        hit = cache_.get(key)
        if hit is not None:
            return hit
        for schema in chosen:  # clear errors (missing / corrupt) before libxml2 gets involved
            self.read_verified(schema)
        resolver = self.resolver()
        label = "+".join(s.name for s in chosen)
        driver = parse_xml(
            self.driver_xsd(s.name for s in chosen), resolver=resolver, name=f"driver({label})"
        )
        try:
            compiled = etree.XMLSchema(driver)
        except etree.XMLSchemaParseError as exc:
            if resolver.refused:
                raise SchemaStoreError(
                    f"compiling {label}: refused to load {resolver.refused[0]!r} (not a pinned official URL)"
                ) from None
            raise SchemaStoreError(f"compiling {label}: {exc}") from None
        if resolver.refused:
            raise SchemaStoreError(
                f"compiling {label}: refused to load {resolver.refused[0]!r} (not a pinned official URL)"
            )
        cache_[key] = compiled
        return compiled

    def load_schema(self, name_or_url: str) -> etree.XMLSchema:
        """One schema (with its imports) by logical name, official URL, namespace or file name."""
        return self.compile_driver([self.get(name_or_url).name])

    def _cache_key(self, chosen: Sequence[SchemaPin]) -> tuple[Any, ...]:
        stamps: list[tuple[str, int, int, int]] = []
        for schema in chosen:
            try:
                st = (self.root / schema.file).stat()
                stamps.append((schema.name, st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                stamps.append((schema.name, -1, -1, -1))
        return (str(self.root.absolute()), tuple(sorted(stamps)))


# --------------------------------------------------------------------------- findings helpers


def _store_findings(store: SchemaStore, problems: Sequence[SchemaStatus], shown: str | None) -> list[Finding]:
    """``SCH001`` for each missing and ``SCH004`` (naming the file) for each corrupt schema."""
    out: list[Finding] = []
    for st in problems:
        if st.state is SchemaState.MISSING:
            out.append(finding("SCH001", path=shown, schema=st.name, store=str(store.root)))
        else:
            out.append(finding("SCH004", path=shown, schema=st.name, file=str(st.path), found=st.sha256))
    return out


def validate_with(
    store: SchemaStore,
    tree: etree._ElementTree,
    names: Iterable[str],
    *,
    path: str | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> list[Finding]:
    """Validate ``tree`` against the named schemas; findings, never an exception for bad content.

    Missing schemas give ``SCH001`` and corrupt ones ``SCH004`` (the document
    is then not validated: never a silent pass); each libxml2 validation error
    gives one ``SCH003`` with its line, up to ``max_errors``, then one
    ``SCH005`` counting the rest.
    """
    names = tuple(names)
    shown = path if path is not None else (tree.docinfo.URL or None)
    label = "+".join(s.name for s in store.closure(names))
    problems = store.missing_or_corrupt(names)
    if problems:
        return _store_findings(store, problems, shown)
    try:
        schema = store.compile_driver(names)
    except (SchemaMissingError, SchemaHashMismatchError) as exc:  # changed since the status check
        problems = store.missing_or_corrupt(names)
        if problems:
            return _store_findings(store, problems, shown)
        if isinstance(exc, SchemaMissingError):
            return [finding("SCH001", path=shown, schema=label, store=str(store.root))]
        return [finding("SCH004", path=shown, schema=label, file=str(store.root), found=None)]
    if schema.validate(tree):
        return []
    entries = [e for e in schema.error_log if int(e.level) >= int(etree.ErrorLevels.ERROR)]  # type: ignore[attr-defined]
    out = [
        finding(
            "SCH003",
            path=shown,
            line=int(e.line) if e.line else None,
            xpath=e.path or None,
            schema=label,
            reason=str(e.message).strip(),
        )
        for e in entries[:max_errors]
    ]
    if len(entries) > max_errors:
        out.append(finding("SCH005", path=shown, schema=label, count=len(entries) - max_errors))
    return out


def accept_package_schema(
    path: Path | str,
    *,
    package_path: str | None = None,
    table: Sequence[SchemaPin] | None = None,
) -> Finding | None:
    """``None`` when a schema file a package carries (``schemas/…``) matches a pin; else ``SCH002``.

    A non-matching file is never used for validation: the pinned official
    schema from the store is used instead.
    """
    file = Path(path)
    shown = package_path if package_path is not None else file.as_posix()
    try:
        data = _read_schema_file(file)
    except OSError as exc:
        return finding("IO001", path=shown, reason=str(exc.strerror or exc))
    if data is None:  # too big to be a pinned schema, or not a regular file
        return finding("SCH002", path=shown, sha256=None)
    if identify_schema(data, table=table) is not None:
        return None
    return finding("SCH002", path=shown, sha256=hashlib.sha256(data).hexdigest())
