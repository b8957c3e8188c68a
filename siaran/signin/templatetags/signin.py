from django import template

register = template.Library()


@register.filter
def bootstrap(field, css_class: str):
    """A form field's widget with Bootstrap's class added (allauth's forms have none)."""
    classes = field.field.widget.attrs.get("class", "")
    if field.errors:
        css_class += " is-invalid"
    return field.as_widget(attrs={"class": f"{classes} {css_class}".strip()})
