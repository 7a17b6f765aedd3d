/** Text made safe inside HTML or XML, text and attribute values alike: & < > " ' as character references. */
export function escapeMarkup(text: string): string {
	return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
