"""List filters on money columns take USD, as the columns show it, and compare exact credits."""
from flask import flash
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter, get_field_setup_query
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .base import usd_input_to_credits


class _UsdFilter(BaseFilter):
    def apply(self, query, value):
        try:
            credits = usd_input_to_credits(str(value))
        except ValueError:
            flash(_("%(column)s: %(value)s is not a USD amount (e.g. 100 or 1,500.25); filter ignored",
                    column=self.column_name.replace("_", " ").capitalize(), value=value), "danger")
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(self.compare(field, credits))


class FilterUsdEqual(_UsdFilter):
    name = _l("Equal to (USD)")
    arg_name = "usd_eq"
    compare = staticmethod(lambda field, credits: field == credits)


class FilterUsdGreater(_UsdFilter):
    name = _l("Greater than (USD)")
    arg_name = "usd_gt"
    compare = staticmethod(lambda field, credits: field > credits)


class FilterUsdSmaller(_UsdFilter):
    name = _l("Smaller than (USD)")
    arg_name = "usd_lt"
    compare = staticmethod(lambda field, credits: field < credits)


class _MoneyFilterConverter(SQLAFilterConverter):
    conversion_table = (("is_money", [FilterUsdGreater, FilterUsdSmaller, FilterUsdEqual]),
                        *SQLAFilterConverter.conversion_table)


class MoneyInterface(SQLAInterface):
    """SQLAInterface whose ``money_columns`` (credits in the database) are filtered in USD."""

    filter_converter_class = _MoneyFilterConverter

    def __init__(self, obj, money_columns: tuple[str, ...] = (), session=None):
        self.money_columns = frozenset(money_columns)
        super().__init__(obj, session)

    def is_money(self, col_name: str) -> bool:
        return col_name in self.money_columns
