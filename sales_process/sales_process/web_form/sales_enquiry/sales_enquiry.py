def get_context(context):
	# a public form: nothing about existing leads goes into the page
	context.no_cache = 1
