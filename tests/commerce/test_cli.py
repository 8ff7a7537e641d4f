"""`omnicx commerce import-products FILE --workspace SLUG` and friends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.commerce import service
from omnicx.kernel.settings import Settings
from tests.commerce.conftest import Shop
from tests.conftest import World

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(settings: Settings, tmp_path: Path) -> Run:
    runner = CliRunner()
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
    }

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["commerce", *args], env=env)
        return result.exit_code, result.output

    return invoke


def test_import_products_from_csv(run: Run, db: Session, world: World, tmp_path: Path) -> None:
    db.rollback()
    code, out = run("location-add", "paris", "Paris store", "--workspace", "acme", "--pickup")
    assert code == 0, out
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "product,variant,sku,price,currency,location,on_hand\n"
        "T-shirt,S,TEE-S,15.00,EUR,paris,4\n"
        "T-shirt,M,TEE-M,15.50,EUR,paris,0\n"
        "Teapot,,POT,3000,JPY,,\n"
    )
    code, out = run("import-products", str(csv_file), "--workspace", "acme")
    assert code == 0, out
    assert "2 new products, 3 new variants, 2 stock levels" in out
    products = {
        v.sku: v for p in service.list_products(db, workspace_id=world.workspace.id) for v in p.variants
    }
    db.rollback()
    assert (products["TEE-M"].price_minor, products["POT"].price_minor) == (1550, 3000)
    code, out = run("stock", "--workspace", "acme")
    assert code == 0 and "TEE-S" in out


def test_import_refuses_a_bad_row_and_imports_nothing(
    run: Run, db: Session, world: World, tmp_path: Path
) -> None:
    db.rollback()
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("product,sku,price,currency\nMug,MUG,9.00,EUR\nMug,MUG2,9.001,EUR\n")
    code, out = run("import-products", str(csv_file), "--workspace", "acme")
    assert code == 1 and "line 3" in out
    assert service.list_products(db, workspace_id=world.workspace.id) == []
    db.rollback()


def test_shopify_secret_and_sweep(run: Run, db: Session, world: World) -> None:
    db.rollback()
    code, out = run("shopify-secret", "--workspace", "acme")
    assert code == 0 and len(out.strip().splitlines()[-1]) >= 40
    code, out = run("shopify-secret", "--workspace", "acme", "--secret", "short")
    assert code == 1 and "at least 16" in out
    code, out = run("sweep", "--workspace", "acme")
    assert code == 0 and "Removed 0 expired reservations" in out
    code, out = run("sweep", "--workspace", "nobody")
    assert code == 1 and "workspace_not_found" in out


def test_reserve_holds_every_line_or_none_and_release_gives_them_back(
    run: Run, db: Session, shop: Shop
) -> None:
    def reserved(sku: str) -> int:
        rows = service.list_stock(db, workspace_id=shop.workspace_id, sku=sku)
        db.rollback()
        return next(r.reserved for r in rows if r.location_id == shop.store.id)

    code, out = run(
        "reserve", "--workspace", "acme", "--location", "paris", "--line", "TEE-S:2", "--line", "MUG"
    )
    assert code == 0, out
    assert "Reserved 1 x MUG, 2 x TEE-S until" in out
    reservation = out.strip().splitlines()[-1]
    assert (reserved("TEE-S"), reserved("MUG")) == (2, 1)
    code, out = run(
        "reserve", "--workspace", "acme", "--location", "paris", "--line", "TEE-S:2", "--line", "MUG"
    )
    assert code == 1 and "out_of_stock" in out and "TEE-S" in out  # 1 left: nothing held
    assert (reserved("TEE-S"), reserved("MUG")) == (2, 1)
    code, out = run("reserve", "--workspace", "acme", "--location", "nowhere", "--line", "MUG")
    assert code == 1 and "location_not_found" in out
    code, out = run("reserve", "--workspace", "acme", "--location", "paris", "--line", "MUG:0")
    assert code == 2 and "MUG:0" in out
    code, out = run("release", reservation, "--workspace", "acme")
    assert code == 0 and reservation in out
    assert (reserved("TEE-S"), reserved("MUG")) == (0, 0)
