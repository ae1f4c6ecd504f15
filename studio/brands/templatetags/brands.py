from django import template

from studio.brands.prompts import PromptAsSent

register = template.Library()


@register.simple_tag
def shot_prompt_as_sent(shot) -> PromptAsSent:
    """The shot card's prompt as it will be sent with the project's brand kit. The card's
    storyboard and project are the page's own objects, so the kit and its elements are read
    once for the whole page (BrandKit.element_descriptions), and not at all without a kit."""
    kit = shot.storyboard.project.brand_kit
    if kit is None:
        return PromptAsSent(text=shot.prompt, unknown=())
    return kit.prompt_for(shot.prompt)
